"""primes: count primes by trial division in a window of size numbers near 10^6."""

BASE = 1_000_000
WINDOWS = 64


def isprime(n: int) -> int:
    if n < 2:
        return 0
    if n < 4:
        return 1
    if n % 2 == 0:
        return 0
    d = 3
    while d * d <= n:
        if n % d == 0:
            return 0
        d += 2
    return 1


def task(i: int, size: int) -> int:
    n = BASE + (i % WINDOWS) * size
    hi = n + size
    count = 0
    while n < hi:
        count += isprime(n)
        n += 1
    return count


if __name__ == "__main__":
    print(task(0, 1000))
