"""mandelbrot: render the rows y = i (mod 16) of a size x size image; count points in the set."""

MAX_ITER = 100
BANDS = 16


def task(i, size):
    scale = 2.5 / size
    count = 0
    y = i % BANDS
    while y < size:
        ci = y * scale - 1.25
        x = 0
        while x < size:
            cr = x * scale - 2.0
            zr = 0.0
            zi = 0.0
            n = 0
            while n < MAX_ITER:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            if n == MAX_ITER:
                count += 1
            x += 1
        y += BANDS
    return count
