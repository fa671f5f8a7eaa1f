package handlers_test

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/handlers"
)

const adminToken = "admin-token-0123456789abcdef"

// statusPage is the operations listener with the status page.
func statusPage(secureCookie bool) http.Handler {
	d := deps(&fakeInbox{}, pinger{}, nil)
	d.AdminToken, d.SecureCookie = adminToken, secureCookie
	d.Depth = func() int { return 0 }
	return handlers.Admin(d)
}

// zeros is a body of n bytes made as it is read, so that the test itself
// allocates nothing for it.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), z.n)
	for i := range p[:n] {
		p[i] = 'a'
	}
	z.n -= n
	return int(n), nil
}

// TestSignInBodyIsBounded is issue #24 item 10's proof for the operations
// listener's body: a 30 MB post to /login (multipart, as the report's;
// URL-encoded and chunked; URL-encoded with its length declared) is
// refused at once and allocates a few kilobytes, not the 94 MiB the
// multipart parser buffered.
func TestSignInBodyIsBounded(t *testing.T) { // not parallel: it measures the process's allocations
	const size = 30 << 20
	h := statusPage(false)
	for _, tt := range []struct {
		name, contentType string
		declared          bool
		status            int
	}{
		{"multipart", "multipart/form-data; boundary=x", false, http.StatusUnsupportedMediaType},
		{"url-encoded, chunked", "application/x-www-form-urlencoded", false, http.StatusRequestEntityTooLarge},
		{"url-encoded, length declared", "application/x-www-form-urlencoded", true, http.StatusRequestEntityTooLarge},
	} {
		body := io.MultiReader(strings.NewReader("--x\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\n"), &zeros{n: size})
		if tt.contentType != "multipart/form-data; boundary=x" {
			body = io.MultiReader(strings.NewReader("token="), &zeros{n: size})
		}
		req := httptest.NewRequest(http.MethodPost, "/login", body)
		req.Header.Set("Content-Type", tt.contentType)
		req.ContentLength = -1
		if tt.declared {
			req.ContentLength = size + 6
		}
		rec := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		h.ServeHTTP(rec, req)
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		allocated := after.TotalAlloc - before.TotalAlloc
		t.Logf("a 30 MB /login post, %s: %d in %v, %.1f KiB allocated", tt.name, rec.Code, took.Round(time.Microsecond), float64(allocated)/1024)
		if rec.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.status)
		}
		if allocated > 1<<20 {
			t.Errorf("%s: %.1f MiB allocated; want at most 1 MiB", tt.name, float64(allocated)/(1<<20))
		}
		if took > time.Second {
			t.Errorf("%s: refused after %v", tt.name, took)
		}
	}
}

// signIn posts token to /login from addr, with extra headers.
func signIn(h http.Handler, addr, tok string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("token="+tok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.RemoteAddr = addr + ":40000"
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestFailedSignInsAreLimited: past 5 failed sign-ins an address gets 429,
// even with the right token, whether it tries the form or the token as
// Bearer; another address still signs in.
func TestFailedSignInsAreLimited(t *testing.T) {
	t.Parallel()
	h := statusPage(false)
	for i := range 5 {
		if rec := signIn(h, "192.0.2.1", "wrong-token-0123456789"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d = %d, want 401", i+1, rec.Code)
		}
	}
	for _, tok := range []string{"wrong-token-0123456789", adminToken} {
		rec := signIn(h, "192.0.2.1", tok)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
			t.Errorf("a sign-in after 5 failures = %d (Retry-After %q), want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
		}
	}
	if rec := signIn(h, "192.0.2.2", adminToken); rec.Code != http.StatusSeeOther {
		t.Errorf("another address with the token = %d, want 303", rec.Code)
	}
	// A forwarded-for header changes nothing: the limit is the peer's.
	if rec := signIn(h, "192.0.2.1", adminToken, "X-Forwarded-For", "198.51.100.7"); rec.Code != http.StatusTooManyRequests {
		t.Errorf("with X-Forwarded-For = %d, want 429", rec.Code)
	}

	bearer := func(tok string) int {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.RemoteAddr = "192.0.2.3:40000"
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for i := range 5 {
		if code := bearer("wrong-token-0123456789"); code != http.StatusUnauthorized {
			t.Fatalf("wrong bearer %d = %d, want 401", i+1, code)
		}
	}
	if code := bearer(adminToken); code != http.StatusTooManyRequests {
		t.Errorf("the bearer after 5 wrong ones = %d, want 429", code)
	}
}

// TestSessionCookieIsSecureBehindTLS: the session cookie is Secure when
// the browser reached the page over TLS, directly or through a proxy that
// says so, or when ADMIN_COOKIE_SECURE says so; on plain HTTP it is not
// (a browser would not send it back).
func TestSessionCookieIsSecureBehindTLS(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		configured bool
		header     []string
		tls        bool
		secure     bool
	}{
		{"plain HTTP", false, nil, false, false},
		{"X-Forwarded-Proto: https", false, []string{"X-Forwarded-Proto", "https"}, false, true},
		{"X-Forwarded-Proto: http", false, []string{"X-Forwarded-Proto", "http"}, false, false},
		{"TLS", false, nil, true, true},
		{"configured", true, nil, false, true},
	} {
		h := statusPage(tt.configured)
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("token="+adminToken))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for i := 0; i+1 < len(tt.header); i += 2 {
			req.Header.Set(tt.header[i], tt.header[i+1])
		}
		if tt.tls {
			req.TLS = &tls.ConnectionState{}
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(cookies) != 1 {
			t.Fatalf("%s: sign-in = %d with %d cookies", tt.name, rec.Code, len(cookies))
		}
		if c := cookies[0]; c.Secure != tt.secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("%s: cookie Secure=%v HttpOnly=%v SameSite=%v; want Secure=%v, HttpOnly, SameSite=Strict", tt.name, c.Secure, c.HttpOnly, c.SameSite, tt.secure)
		}
	}
}
