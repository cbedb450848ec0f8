"""Render 1/16 of a size x size Mandelbrot image in floats; count the points in the set."""

CLASS = "CPU"
MAX_ITER = 100
BANDS = 16


def task(i, size):
    scale = 2.5 / size
    count = 0
    for y in range(i % BANDS, size, BANDS):   # every 16th row, from row i % 16
        ci = y * scale - 1.25
        for x in range(size):
            cr = x * scale - 2.0
            zr = zi = 0.0
            n = 0
            while n < MAX_ITER:
                zr2, zi2 = zr * zr, zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            if n == MAX_ITER:
                count += 1
    return count
