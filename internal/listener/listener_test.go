package listener_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/internal/listener"
)

// serve serves h on a loopback listener capped at max and returns its
// address and the listener.
func serve(t *testing.T, max int, h http.Handler) (string, *listener.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := listener.New(ln, max)
	srv := &http.Server{Handler: h, ConnState: l.ConnState, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), l
}

// get sends one GET on c and reads its answer, leaving c open (keep-alive).
func get(t *testing.T, c net.Conn, r *bufio.Reader) int {
	t.Helper()
	code, err := roundTrip(c, r)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func roundTrip(c net.Conn, r *bufio.Reader) (int, error) {
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

type client struct {
	net.Conn
	r *bufio.Reader
}

func dial(t *testing.T, addr string) client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return client{c, bufio.NewReader(c)}
}

// closedByServer reports whether the server hung up on c.
func closedByServer(c client) bool {
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err := c.r.ReadByte()
	return err == io.EOF
}

// TestIdleConnectionsMakeRoom: at the cap, a new connection is served at
// once, and the connection that waited longest is the one closed.
func TestIdleConnectionsMakeRoom(t *testing.T) {
	t.Parallel()
	addr, l := serve(t, 3, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	// The server learns that a connection waits once it has written the
	// answer (ConnState), which the client may read first: each request
	// waits until the server has listed its connection last, so that the
	// order of waiting is the order of the requests.
	waitsLast := func(c client) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if w := l.Waiting(); len(w) > 0 && w[len(w)-1] == c.LocalAddr().String() {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the server never listed %s as waiting: %v", c.LocalAddr(), l.Waiting())
			}
			time.Sleep(time.Millisecond)
		}
	}
	var idle []client
	for range 3 {
		c := dial(t, addr)
		if code := get(t, c.Conn, c.r); code != 200 {
			t.Fatalf("status %d", code)
		}
		waitsLast(c)
		idle = append(idle, c)
	}
	// The first goes active again: the second has now waited longest.
	if code := get(t, idle[0].Conn, idle[0].r); code != 200 {
		t.Fatalf("status %d", code)
	}
	waitsLast(idle[0])
	fresh := dial(t, addr)
	start := time.Now()
	if code := get(t, fresh.Conn, fresh.r); code != 200 {
		t.Fatalf("status %d", code)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the new connection waited %v", d)
	}
	if !closedByServer(idle[1]) {
		t.Error("the connection idle longest is still open")
	}
	if code := get(t, idle[0].Conn, idle[0].r); code != 200 {
		t.Errorf("a connection idle for less time was closed: %d", code)
	}
	if n := l.Evicted(); n != 1 {
		t.Errorf("%d connections closed to make room, want 1", n)
	}
}

// TestSilentConnectionsMakeRoom: a connection that never sent a request
// holds no slot a new client needs.
func TestSilentConnectionsMakeRoom(t *testing.T) {
	t.Parallel()
	addr, l := serve(t, 2, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	silent := []client{dial(t, addr)}
	for deadline := time.Now().Add(5 * time.Second); len(l.Waiting()) < 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first connection was never accepted")
		}
	}
	silent = append(silent, dial(t, addr))
	for deadline := time.Now().Add(5 * time.Second); len(l.Waiting()) < 2; time.Sleep(time.Millisecond) { // both accepted, in order
		if time.Now().After(deadline) {
			t.Fatal("the second connection was never accepted")
		}
	}
	fresh := dial(t, addr)
	if code := get(t, fresh.Conn, fresh.r); code != 200 {
		t.Fatalf("status %d", code)
	}
	if !closedByServer(silent[0]) {
		t.Error("the silent connection that waited longest is still open")
	}
}

// TestRequestsInFlightAreNeverClosed: at the cap with every connection
// serving a request, a new connection waits for one to finish.
func TestRequestsInFlightAreNeverClosed(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	entered := make(chan struct{}, 2)
	addr, l := serve(t, 2, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			entered <- struct{}{}
			<-release
		}
	}))
	busy := []client{dial(t, addr), dial(t, addr)}
	for _, c := range busy {
		if _, err := io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	<-entered
	fresh := dial(t, addr)
	done := make(chan int, 1)
	go func() {
		code, err := roundTrip(fresh.Conn, fresh.r)
		if err != nil {
			t.Error(err)
		}
		done <- code
	}()
	select {
	case code := <-done:
		t.Fatalf("a third connection was served (%d) while the cap's two were in flight", code)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	for _, c := range busy {
		resp, err := http.ReadResponse(c.r, nil)
		if err != nil {
			t.Fatalf("a request in flight was cut: %v", err)
		}
		resp.Body.Close()
	}
	if code := <-done; code != 200 {
		t.Errorf("status %d", code)
	}
	if n := l.Evicted(); n != 1 {
		t.Errorf("%d connections closed to make room, want the one idle once its request ended", n)
	}
}

// BenchmarkKeepAliveRequest is what the cap adds to each request on a
// keep-alive connection: the server's two state changes (active, idle).
//
//	go test -run '^$' -bench KeepAlive -benchmem ./internal/listener
func BenchmarkKeepAliveRequest(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	l := listener.New(ln, 4096)
	defer l.Close()
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			defer c.Close()
			_, _ = c.Read(make([]byte, 1))
		}
	}()
	c, err := l.Accept()
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	b.ReportAllocs()
	for b.Loop() {
		l.ConnState(c, http.StateActive)
		l.ConnState(c, http.StateIdle)
	}
}
