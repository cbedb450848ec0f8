//go:build !unix

package workloads

import "errors"

// The convoy's system calls where there are no unix sockets and mappings: every one
// fails, so the convoy's Setup fails at run time with errConvoyUnsupported while the
// package builds everywhere.

var errConvoyUnsupported = errors.New("needs unix sockets and shared mappings")

func convoyListen() (int, string, error)    { return -1, "", errConvoyUnsupported }
func convoyAccept(int) (int, error)         { return -1, errConvoyUnsupported }
func convoyDial(string) (int, error)        { return -1, errConvoyUnsupported }
func convoyReadFull(int, []byte) error      { return errConvoyUnsupported }
func convoyWriteAll(int, []byte) error      { return errConvoyUnsupported }
func convoyShutdown(int) error              { return errConvoyUnsupported }
func convoyCloseFd(int) error               { return errConvoyUnsupported }
func convoyMap(string, int) ([]byte, error) { return nil, errConvoyUnsupported }
func convoyUnmap([]byte) error              { return errConvoyUnsupported }
