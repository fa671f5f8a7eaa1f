package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

// raiseFileLimit makes sure this process may hold n more descriptors,
// raising its soft limit up to the hard one, or skips the test saying why.
func raiseFileLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("reading the file-descriptor limit: %v", err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Skipf("the test holds %d connections and the hard file-descriptor limit is %d (ulimit -Hn): raise it to run this test", n, lim.Max)
	}
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("raising the file-descriptor limit to %d: %v", n, err)
	}
}

// TestIdleConnectionsCannotLockOutTheWebhook is issue #24 item 9's proof:
// a client holds the public listener's whole cap (4,096) of keep-alive
// connections, one GET /healthz each, and Green API's webhook is still
// acknowledged at once: the connection idle longest makes room for it.
func TestIdleConnectionsCannotLockOutTheWebhook(t *testing.T) {
	t.Parallel()
	// The service runs in its own process (Go raises its soft limit to the
	// hard one); this one holds the client's ends.
	raiseFileLimit(t, maxConnections+2048)
	fake := greenapitest.New(t)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"), "LOG_LEVEL=info")
	addr := strings.TrimPrefix(p.url, "http://")

	held := make([]net.Conn, maxConnections)
	var failed atomic.Int64
	var wg sync.WaitGroup
	const workers = 16
	begin := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(held); i += workers {
				c, err := healthzKeptOpen(addr)
				if err != nil {
					failed.Add(1)
					continue
				}
				held[i] = c
			}
		}()
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, c := range held {
			if c != nil {
				c.Close()
			}
		}
	})
	if n := failed.Load(); n > 0 {
		t.Fatalf("%d of %d GET /healthz failed before the webhook was sent", n, len(held))
	}
	opened := time.Since(begin)

	chat := "4915112340901@c.us"
	fake.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "Hallo"})
	sent := time.Now()
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 3*time.Second)
	if !fake.WaitQueueEmpty(8 * time.Second) {
		t.Fatalf("with %d idle connections held, Green API's webhook was not acknowledged within 8 s (deliveries: %+v)", len(held), fake.Deliveries())
	}
	acked := time.Since(sent)
	if first := fake.Deliveries()[0]; first.Status != http.StatusOK {
		t.Errorf("the first delivery was answered %d, want 200", first.Status)
	}
	if len(fake.WaitSent(chat, 1, 10*time.Second)) != 1 {
		t.Error("the sender was not greeted")
	}
	closed := countClosed(held)
	t.Logf("RELIABILITY idle lock-out: %d keep-alive connections held (opened in %v, one GET /healthz each); the webhook acknowledged %v after it was sent; %d held connections closed to make room",
		len(held), opened.Round(time.Millisecond), acked.Round(time.Millisecond), closed)
	if acked > 2*time.Second {
		t.Errorf("the webhook took %v", acked)
	}
	if closed < 1 || closed > 8 {
		t.Errorf("%d held connections closed; want the few that made room", closed)
	}
}

// healthzKeptOpen opens a connection, asks GET /healthz on it and keeps it
// open, as a client of keep-alive does.
func healthzKeptOpen(addr string) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		c.Close()
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return nil, errors.New(resp.Status)
	}
	return c, nil
}

// countClosed counts the connections the server hung up on.
func countClosed(conns []net.Conn) int {
	var n atomic.Int64
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(conns); i += 16 {
				_ = conns[i].SetReadDeadline(time.Now().Add(20 * time.Millisecond))
				if _, err := conns[i].Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return int(n.Load())
}
