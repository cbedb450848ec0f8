dict shared
func task i size
	var k key total .t0 .t1
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
	load i
	const 31
	mul
	load k
	add
	const 1024
	mod
	store key
	load k
	store .t1
	load_global shared
	load key
	load .t1
	setitem
	load total
	load key
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
	return
end
