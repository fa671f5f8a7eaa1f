// Package logtest gathers every log line a test binary writes, from its own
// loggers and from the programs it starts, so that its TestMain can check the
// whole run for secrets once every test has finished.
package logtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
)

// Buffer is a bytes.Buffer that many goroutines may write to, for tests
// that read what a logger wrote.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// all is the binary's journal: every line logged by any of its tests.
var all Buffer

// Writer returns a writer whose output joins the journal. Logs of a child
// process, copied here line by line, are scanned like the binary's own.
func Writer() io.Writer { return &all }

// Logger returns a debug-level logger whose lines join the journal: tests
// log everything, so that the scan sees every line the service could write.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(&all, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Leak is a journal line that carries a secret.
type Leak struct {
	Line   int
	Secret int // index of the secret in the list given to Scan
}

// Scan returns the number of lines in the journal and each line that
// contains one of secrets. Empty secrets are ignored.
func Scan(secrets ...string) (lines int, leaks []Leak) {
	s := bufio.NewScanner(strings.NewReader(all.String()))
	s.Buffer(make([]byte, 64<<10), 16<<20)
	for s.Scan() {
		lines++
		for i, secret := range secrets {
			if secret != "" && strings.Contains(s.Text(), secret) {
				leaks = append(leaks, Leak{Line: lines, Secret: i})
			}
		}
	}
	return lines, leaks
}

// Main runs the tests and then fails the binary when a log line written
// during the run contains one of secrets, or when nothing was logged at all
// (a scan of nothing would prove nothing). It returns the exit code.
func Main(m *testing.M, secrets ...string) int {
	code := m.Run()
	lines, leaks := Scan(secrets...)
	switch {
	case len(leaks) > 0:
		for _, l := range leaks {
			fmt.Fprintf(os.Stderr, "logtest: log line %d contains secret #%d\n", l.Line, l.Secret+1)
		}
		return 1
	case lines == 0 && code == 0 && !testing.Short() && runAll():
		fmt.Fprintln(os.Stderr, "logtest: no log line was written during the run: the secret scan proved nothing")
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "logtest: %d log lines scanned for %d secrets, none found\n", lines, len(secrets))
	}
	return code
}

// runAll reports whether the whole package ran, not a -run selection that
// may legitimately log nothing.
func runAll() bool {
	for _, arg := range os.Args[1:] {
		if strings.HasPrefix(arg, "-test.run") || strings.HasPrefix(arg, "-test.fuzz") || strings.HasPrefix(arg, "-test.bench") {
			return false
		}
	}
	return true
}
