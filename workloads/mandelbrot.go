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
		Source: `
func task i size
	var scale y x cr ci zr zi zr2 zi2 n count
	const 2.5           # scale = 2.5 / size
	load size
	itof
	fdiv
	store scale
	load i              # y = i % bands
	const 16
	mod
	store y
rows:
	load y
	load size
	lt
	jump_if_false done
	load y              # ci = y*scale - 1.25
	itof
	load scale
	fmul
	const 1.25
	fsub
	store ci
	const 0
	store x
cols:
	load x
	load size
	lt
	jump_if_false nextrow
	load x              # cr = x*scale - 2.0
	itof
	load scale
	fmul
	const 2.0
	fsub
	store cr
	const 0.0
	store zr
	const 0.0
	store zi
	const 0
	store n
iter:                   # for n < maxiter
	load n
	const 100
	lt
	jump_if_false inset
	load zr             # zr2 = zr*zr; zi2 = zi*zi
	load zr
	fmul
	store zr2
	load zi
	load zi
	fmul
	store zi2
	load zr2            # if zr2 + zi2 > 4: escaped
	load zi2
	fadd
	const 4.0
	fgt
	jump_if_true escaped
	const 2.0           # zi = 2*zr*zi + ci
	load zr
	fmul
	load zi
	fmul
	load ci
	fadd
	store zi
	load zr2            # zr = zr2 - zi2 + cr
	load zi2
	fsub
	load cr
	fadd
	store zr
	load n
	const 1
	add
	store n
	jump iter
inset:
	load count
	const 1
	add
	store count
escaped:
	load x
	const 1
	add
	store x
	jump cols
nextrow:
	load y
	const 16
	add
	store y
	jump rows
done:
	load count
	return
end
`,
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
