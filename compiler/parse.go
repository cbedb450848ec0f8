package compiler

import (
	"fmt"
	"strings"

	"github.com/go-python/gpython/ast"
	"github.com/go-python/gpython/parser"
	"github.com/go-python/gpython/py"
)

// Error is a compile error at a place in the source. Line and Col count from 1.
type Error struct {
	File      string
	Line, Col int
	Msg       string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// parse parses src as a Python module. Numeric literals with underscores (PEP 515,
// which the parser's 3.4 grammar predates) are rewritten first, column for column.
func parse(file, src string) (mod *ast.Module, err error) {
	defer func() {
		if r := recover(); r != nil { // the parser recovers its own; this is a backstop
			mod, err = nil, &Error{File: file, Msg: fmt.Sprintf("syntax error: %v", r)}
		}
	}()
	m, perr := parser.Parse(strings.NewReader(stripUnderscores(src)), file, py.ExecMode)
	if perr != nil {
		return nil, syntaxError(file, perr)
	}
	mod, ok := m.(*ast.Module)
	if !ok {
		return nil, &Error{File: file, Msg: "not a module"}
	}
	return mod, nil
}

// syntaxError turns the parser's SyntaxError into an Error with its position.
func syntaxError(file string, err error) *Error {
	e := &Error{File: file, Msg: "syntax error"}
	exc, ok := err.(*py.Exception)
	if !ok {
		e.Msg = err.Error()
		return e
	}
	if n, ok := exc.Dict["lineno"].(py.Int); ok {
		e.Line = int(n)
	}
	if n, ok := exc.Dict["offset"].(py.Int); ok {
		e.Col = int(n)
	}
	if e.Line > 0 && e.Col == 0 {
		e.Col = 1
	}
	if len(exc.Args.(py.Tuple)) > 0 {
		if s, ok := exc.Args.(py.Tuple)[0].(py.String); ok {
			e.Msg = "syntax error: " + string(s)
		}
	}
	if t := exc.Type(); t != nil && t.Name != "SyntaxError" {
		e.Msg = strings.Replace(e.Msg, "syntax error", t.Name, 1)
	}
	return e
}

// stripUnderscores removes the underscores of numeric literals (1_000_000) outside
// strings and comments and pads the literal with spaces after it, so that every other
// token keeps its line and column.
func stripUnderscores(src string) string {
	if !strings.Contains(src, "_") {
		return src
	}
	b := []byte(src)
	isIdent := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
	}
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '#':
			for i < len(b) && b[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			q := string(b[i : i+1])
			if i+2 < len(b) && b[i+1] == c && b[i+2] == c {
				q = string(b[i : i+3])
			}
			i += len(q)
			for i < len(b) && !strings.HasPrefix(string(b[i:min(i+len(q), len(b))]), q) {
				if b[i] == '\\' {
					i++
				} else if b[i] == '\n' && len(q) == 1 {
					break
				}
				i++
			}
			i += len(q)
		case c >= '0' && c <= '9' && (i == 0 || !isIdent(b[i-1])):
			j := i
			for j < len(b) && (isIdent(b[j]) || b[j] == '.') {
				j++
			}
			lit := strings.ReplaceAll(string(b[i:j]), "_", "")
			copy(b[i:j], lit+strings.Repeat(" ", j-i-len(lit)))
			i = j
		case isIdent(c):
			for i < len(b) && isIdent(b[i]) {
				i++
			}
		default:
			i++
		}
	}
	return string(b)
}

// pos is a node's place, with the column counted from 1.
func pos(n ast.Ast) (line, col int) {
	if n == nil {
		return 0, 0
	}
	return n.GetLineno(), n.GetColOffset() + 1
}
