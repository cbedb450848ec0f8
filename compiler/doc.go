// Package compiler compiles a typed subset of Python into interp programs, so that one
// source (workloads/py/<name>.py, which CPython runs as it is) drives every engine.
// Every built-in workload's program is compiled from its file (package workloads,
// Workload.Program), and so is a user's file in the emulated modes; the assembler
// stays as the interpreter's low-level format and for its own tests.
//
// # Parser
//
// Source is parsed with the parser and AST of gpython (github.com/go-python/gpython,
// v0.2.0 of 2022: packages parser and ast), a goyacc parser of Python 3.4's grammar with
// its own tests, that gives every node its line and column and turns its own failures
// into a SyntaxError with a position. It predates three things of later grammars: numeric
// underscores (1_000_000), which parse rewrites, column for column, before parsing;
// variable annotations (x: int = 0) and the walrus, which stay syntax errors (neither
// is in the subset). Its AST nodes hold gpython's py objects (py.Int, py.Float,
// py.BigInt), which is how literals are typed. Scopes, types and code generation are
// this package's.
//
// # The subset
//
//	construct                       example                              compiles to
//	def, positional parameters      def task(i, size): ...               func task i size
//	parameter and return types      def half(x: float) -> float:         unannotated parameters are int
//	return, recursion               return fib(n - 1) + fib(n - 2)       call fib ... add; return
//	if / elif / else                if n < 2: ... elif n < 4: ... else:  forward jumps only
//	while (and while ... else)      while d * d <= n: d += 2             test, body, test again, backward jump
//	for over range                  for k in range(a, b, -2), (0, n, BANDS) a counter; backward jump
//	                                for k in range(a, b, step)           range_step (0 fails); the test by sign
//	break, continue                 if n % d == 0: break                 forward jumps (continue: to the test)
//	assignment                      a, b = b, a + b;  x = y = 0          store (right to left for tuples)
//	augmented assignment            count += isprime(n)                  load, op, store
//	int arithmetic                  (i % 64) * size + 1_000_000          add sub mul div mod pow neg
//	float arithmetic, / is float    zi = 2.0 * zr * zi + ci;  2.5 / size fadd fsub fmul fdiv fpow fneg, itof
//	float // and %                  turns = angle // 6.25;  x % -2.5     ffloordiv fmod (an int operand: itof)
//	bit operations                  (h << 5) ^ (h >> 3) & 0xff | ~m      shl shr and or xor
//	comparisons, chained            0 <= x < size                        lt le gt ge eq ne, flt ... fne
//	and, or, not, if-expressions    a and b or c;  x if c else y         short-circuit jumps, Python's values
//	module-level constants          BASE = 1_000_000                     inlined: const 1000000
//	module-level int globals        counter = 0 ... global counter       global counter; load_global/store_global
//	calls of the file's functions   work(n * PRIVATE_WORK)               call work
//	natives of the support module   gilbench.sleep_us(size); from ... import cs  native sleep_us
//	builtins                        int(x) float(n) abs(x) min(a, b)     inlined, then check (CPython calls them)
//	lock objects                    mu = threading.Lock(); with mu: ...  lock mu; lock_acquire ... lock_release
//	lock methods                    mu.acquire(); mu.release()           native lock_acquire / lock_release
//	shared values                   v = multiprocessing.Value("q", 0)    value v; v.value += 1: value_get, value_set
//	the driver's shared objects     SHARED = {"mu": "lock", "n": "int"}  lock mu, value n (those the code uses)
//	                                with shared.mu: shared.n.value += 1  as a module-level lock and value
//	the driver's metadata           CLASS = "Shared"; TASKS = 16         strings: not values, only for the driver
//	True, False, docstrings, pass   return True                          const 1
//	if __name__ == "__main__":      (at module level)                    skipped: a script's own entry
//	lists, dicts                    shared = [];  d[k] = v;  k in d      list shared; setitem; contains
//	list and dict methods, len      xs.append(k);  d.get(k, 0);  len(xs) append, dict_get, len; then check
//	classes, instances, methods     class Tally: hits = 0 ...; t.bump(k) object tally 1; load_method; call
//	attributes, threading.local     self.hits += 1;  tls = threading.local() getattr 0 / setattr 0
//
// The container rows are containers.go's (with their own table there): elements, keys,
// values and attributes are ints; a class holds NAME = 0 attributes and methods.
//
// Anything else — strings as values, list and dict displays with items, comprehensions,
// try, imports of other modules, keyword arguments, is, attributes other
// than v.value, shared.NAME and those of instances and threading.local, builtins other
// than those above — is an *Error at file:line:col naming the construct ("list
// comprehensions are not in the subset", "the builtin sum is not in the subset"), never
// a program that computes something else.
//
// # Workload files
//
// With Options.Entry set (package workloads sets "task"), only the functions the entry
// reaches are compiled: a workload file may also define the CPython driver's hooks
// (skip, reset, check, want), which use strings and dicts and which the emulated modes
// do not call — their runner checks the shared state with the workload's Go Check.
// The support module (Options.Support: "gilbench" for workloads, workloads/py/
// gilbench.py in CPython) gives the natives by name; workloads.NativeStubs lists them
// all with their arities, and a test checks them against gilbench.py's functions. Its
// `shared` namespace holds the objects of the file's SHARED table, which the CPython
// driver makes for the strategy (threading.Lock or multiprocessing.Lock, a property or
// a multiprocessing.RawValue) and which the interpreter declares as a lock or a value
// of the cell's shared state: shared.n.value is read and written by calls in both.
//
// # Types
//
// Every value is an int or a float, fixed per local by its first assignment in source
// order: a literal's type, a parameter's annotation (int by default), an operation's
// (int op int is int except / which is float; an int meeting a float becomes one), a
// call's return type (annotated, or inferred from the function's returns, to a fixed
// point for recursion). An int assigned to a float local or passed to a float parameter
// is converted; a float where an int is wanted is an error. Natives take and return
// ints. Comparisons and not give 0 or 1 (Python's bools are ints).
//
// Python's semantics where checksums depend on them: // and % floor as Python's, on
// floats bit for bit as CPython's float_floor_div and float_rem compute them (signs
// of zero, infinities and NaN included; a float // or % by zero is a run-time error);
// ** on ints is exact modulo 2^64 (a negative exponent, a float in Python, is a
// run-time error); << and >> are Python's shifts (>> is arithmetic), wrapped; float
// division by zero, 0.0 ** -1 and a float ** overflow are run-time errors as Python's;
// a < b < c evaluates b once and c only if needed; and/or return the deciding operand.
//
// Where it differs: ints are the interpreter's int64 and wrap on overflow, where
// Python's are unbounded (a checksum that overflows 64 bits differs from CPython's,
// so the workloads keep theirs small); int(x) of a float beyond int64 is not Python's;
// an int compared with a float is converted to float first (Python compares exactly:
// different only beyond 2^53); a negative base to a fractional power is an error
// (Python gives a complex); reading a local before any assignment gives 0 (Python
// raises UnboundLocalError); natives and v.value are ints only.
//
// # Check points
//
// The compiler emits the interpreter's instructions and lets its rules place the check
// points where CPython 3.13 has them: function entry (RESUME), every loop's backward
// jump (JUMP_BACKWARD: a while loop is tested at the top and again at the bottom, as
// CPython 3.13 lays it out, so the taken bottom test is the one check an iteration,
// and continue reaches it by a forward jump), after every call (CALL: the file's
// functions, natives, lock methods, and the builtins it inlines, marked by check).
// Nothing else is: counter += 1 on a global is load_global, const 1, add,
// store_global with no check point between, as CPython's LOAD_GLOBAL, LOAD_CONST,
// BINARY_OP, STORE_GLOBAL; v.value += 1 is two calls, with a check point after each.
// `gilbench dis` shows both listings side by side.
package compiler
