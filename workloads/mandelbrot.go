package workloads

import "context"

// The image is size×size pixels over [-2, 0.5) × [-1.25, 1.25), at most mandelMaxIter
// iterations a point. Task i renders the rows y ≡ i (mod mandelBands): every task samples
// the whole height of the image, so tasks cost about the same (a band of adjacent rows
// would not: rows through the set's body cost far more than rows near the edge).
const (
	mandelMaxIter = 100
	mandelBands   = 16
)

func init() {
	Register(&Workload{
		Name:         "mandelbrot",
		Class:        CPU,
		Description:  "render 1/16 of a size×size Mandelbrot image, float bytecode; counts points in the set",
		DefaultSize:  200,
		DefaultTasks: 16,
		QuickSize:    128,
		QuickTasks:   16,
		Twin: func(_ context.Context, _ Params, i, size int64) (int64, error) {
			return mandelRows(i, size), nil
		},
		Want: mandelRows,
	})
}

// mandelRows counts the points of task i's rows that stay bounded. Every product is
// converted explicitly so that the compiler cannot fuse it into a multiply-add: the
// interpreter rounds each operation, and so must the twin, bit for bit.
func mandelRows(i, size int64) int64 {
	scale := 2.5 / float64(size)
	var count int64
	for y := i % mandelBands; y < size; y += mandelBands {
		ci := float64(float64(y)*scale) - 1.25
		for x := int64(0); x < size; x++ {
			cr := float64(float64(x)*scale) - 2.0
			zr, zi := 0.0, 0.0
			n := 0
			for ; n < mandelMaxIter; n++ {
				zr2, zi2 := float64(zr*zr), float64(zi*zi)
				if zr2+zi2 > 4 {
					break
				}
				zi = float64(float64(2*zr)*zi) + ci
				zr = zr2 - zi2 + cr
			}
			if n == mandelMaxIter {
				count++
			}
		}
	}
	return count
}
