package interp

import "testing"

// countdownNoCheckSrc is countdown whose backward jump does not check the eval breaker:
// the difference between the two benchmarks is the cost of the check.
var countdownNoCheckSrc = `
func countdown n
loop:
	load n
	const 0
	gt
	jump_if_false done
	load n
	const 1
	sub
	store n
	jump_no_check loop
done:
	load n
	return
end
`

const benchN = 1_000_000

func benchCountdown(b *testing.B, src string, lock Lock) {
	th := New(MustAssemble(src), lock).NewThread()
	th.Attach()
	defer th.Detach()
	b.ResetTimer()
	for b.Loop() {
		if _, err := th.Call(0, benchN); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(9*benchN), "ns/instr")
}

// BenchmarkCountdown: ns per instruction on `while n > 0: n -= 1` (9 instructions an
// iteration).
func BenchmarkCountdown(b *testing.B) { benchCountdown(b, countdownSrc, nil) }

// BenchmarkCountdownNoBreaker: the same loop without the breaker check.
func BenchmarkCountdownNoBreaker(b *testing.B) { benchCountdown(b, countdownNoCheckSrc, nil) }

func BenchmarkFib(b *testing.B) {
	th := New(MustAssemble(fibSrc), nil).NewThread()
	for b.Loop() {
		if _, err := th.Call(0, 20); err != nil {
			b.Fatal(err)
		}
	}
}
