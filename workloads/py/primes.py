"""Count primes by trial division in a window of size numbers near 10^6, pure bytecode."""

CLASS = "CPU"


def is_prime(n):
    if n < 2:
        return False
    if n < 4:
        return True
    if n % 2 == 0:
        return False
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def task(i, size):
    n = 1000000 + (i % 64) * size
    count = 0
    for m in range(n, n + size):
        if is_prime(m):
            count += 1
    return count
