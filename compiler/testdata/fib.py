"""fib: naive recursive fib(size) + i."""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def task(i, size):
    return fib(size) + i
