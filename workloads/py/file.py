"""Write size bytes to a new file, fsync, read them back; the calls release the GIL."""

import gilbench

CLASS = "IO"


def task(i, size):
    return gilbench.write_read(i, size)
