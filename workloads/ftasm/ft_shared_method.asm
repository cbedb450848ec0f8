object tally 1
func Tally.bump self k
	load k
	const 7
	mod
	load self
	getattr 0
	add
	return
end
func task i size
	var k total .t0
	const 0
	store total
	const 0
	store k
	load size
	store .t0
	check
	load k
	load .t0
	lt
	jump_if_false .L3
.L1:
	load total
	load_global tally
	load_method Tally.bump
	load k
	call Tally.bump
	add
	store total
.L2:
	load k
	const 1
	add
	store k
	load k
	load .t0
	lt
	jump_if_true .L1
.L3:
.L4:
	load total
	load i
	add
	return
end
