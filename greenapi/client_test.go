package greenapi_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"golang.org/x/time/rate"
)

// fastClient returns a client for srv with short backoffs, so that retry
// tests run quickly; the rate limits stay the documented ones.
func fastClient(t *testing.T, srv *greenapitest.Server, mutate ...func(*greenapi.Config)) *greenapi.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.MinBackoff, cfg.MaxBackoff = time.Millisecond, 10*time.Millisecond
	cfg.Timeout = 2 * time.Second
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := greenapi.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetContactInfoRespectsRateLimit(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	srv.SetContact("79001234567@c.us", greenapi.ContactInfo{Name: "Dealer", Category: "Automotive Dealership"})
	c := fastClient(t, srv)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := c.GetContactInfo(context.Background(), "79001234567@c.us")
			if err == nil && info.Name != "Dealer" {
				err = errors.New("wrong profile: " + info.Name)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if elapsed := time.Since(start); elapsed < 4*time.Second {
		t.Errorf("5 lookups took %v, want at least 4s at 1 request/s", elapsed)
	}
	calls := srv.Calls(greenapi.MethodGetContactInfo)
	if len(calls) != 5 {
		t.Errorf("server saw %d calls, want 5", len(calls))
	}
	for _, call := range calls {
		if call.Status != 200 {
			t.Errorf("a call was answered %d; the client must never trip the rate limit", call.Status)
		}
	}
}

func TestFakeEnforcesRateLimit(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	c := fastClient(t, srv, func(cfg *greenapi.Config) {
		cfg.Limits = map[string]rate.Limit{greenapi.MethodGetContactInfo: rate.Inf}
		cfg.MaxAttempts = 1
	})
	ctx := context.Background()
	if _, err := c.GetContactInfo(ctx, "1@c.us"); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetContactInfo(ctx, "1@c.us")
	if !errors.Is(err, greenapi.ErrRateLimited) {
		t.Fatalf("second lookup within a second: err = %v, want ErrRateLimited", err)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		method    string
		fault     greenapitest.Fault
		faults    int
		wantCalls int
		wantErr   error
	}{
		{"history 500 then 200 is retried once", greenapi.MethodGetChatHistory, greenapitest.Fault{Status: 500}, 1, 2, nil},
		{"history 429 is retried", greenapi.MethodGetChatHistory, greenapitest.Fault{Status: 429}, 1, 2, nil},
		{"history 466 is not retried", greenapi.MethodGetChatHistory, greenapitest.Fault{Status: 466}, 1, 1, greenapi.ErrQuotaExceeded},
		{"history 400 is not retried", greenapi.MethodGetChatHistory, greenapitest.Fault{Status: 400}, 1, 1, greenapi.ErrBadRequest},
		{"history dropped connection is retried", greenapi.MethodGetChatHistory, greenapitest.Fault{Drop: true}, 1, 2, nil},
		{"history gives up after max attempts", greenapi.MethodGetChatHistory, greenapitest.Fault{Status: 503}, 10, 3, greenapi.ErrServer},
		{"lookup 500 is tried once: the caller spends the 1/s budget", greenapi.MethodGetContactInfo, greenapitest.Fault{Status: 500}, 1, 1, greenapi.ErrServer},
		{"lookup 429 is tried once", greenapi.MethodGetContactInfo, greenapitest.Fault{Status: 429}, 1, 1, greenapi.ErrRateLimited},
		{"send 502 is retried", greenapi.MethodSendMessage, greenapitest.Fault{Status: 502}, 1, 2, nil},
		{"send 429 is retried", greenapi.MethodSendMessage, greenapitest.Fault{Status: 429}, 1, 2, nil},
		{"send 500 is not retried: it may have been sent", greenapi.MethodSendMessage, greenapitest.Fault{Status: 500}, 1, 1, greenapi.ErrServer},
		{"send 466 is not retried", greenapi.MethodSendMessage, greenapitest.Fault{Status: 466}, 1, 1, greenapi.ErrQuotaExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := greenapitest.New(t)
			c := fastClient(t, srv, func(cfg *greenapi.Config) { cfg.MaxAttempts = 3 })
			srv.FailNext(tt.method, tt.faults, tt.fault)
			var err error
			switch tt.method {
			case greenapi.MethodSendMessage:
				_, err = c.SendMessage(context.Background(), greenapi.SendMessageParams{ChatID: "1@c.us", Message: "hi"})
			case greenapi.MethodGetChatHistory:
				_, err = c.GetChatHistory(context.Background(), "1@c.us", 10)
			default:
				_, err = c.GetContactInfo(context.Background(), "1@c.us")
			}
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got := len(srv.Calls(tt.method)); got != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", got, tt.wantCalls)
			}
		})
	}
}

func TestQuotaErrorCarriesBody(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 466})
	_, err := fastClient(t, srv).SendMessage(context.Background(), greenapi.SendMessageParams{ChatID: "1@c.us", Message: "hi"})
	var apiErr *greenapi.APIError
	if !errors.As(err, &apiErr) || apiErr.Quota == nil || !apiErr.Quota.InvokeStatus.Exceeded() {
		t.Fatalf("err = %#v, want an APIError with the parsed quota", err)
	}
	if !strings.Contains(err.Error(), "Monthly quota has been exceeded") {
		t.Errorf("error %q does not explain the quota", err)
	}
	if k := greenapi.KindOf(err); k != greenapi.RetryNever {
		t.Errorf("a 466 is %s, want %s", k, greenapi.RetryNever)
	}
}

func TestTimeoutIsBoundedAndRetried(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	srv.FailNext(greenapi.MethodGetChatHistory, 1, greenapitest.Fault{Hang: true})
	c := fastClient(t, srv, func(cfg *greenapi.Config) { cfg.Timeout = 200 * time.Millisecond })
	start := time.Now()
	if _, err := c.GetChatHistory(context.Background(), "1@c.us", 10); err != nil {
		t.Fatalf("a hung call followed by a good one: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestCallerContextBoundsRetries(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	srv.FailNext(greenapi.MethodGetChatHistory, 100, greenapitest.Fault{Status: 500})
	c := fastClient(t, srv, func(cfg *greenapi.Config) {
		cfg.MaxAttempts = 1000
		cfg.MinBackoff, cfg.MaxBackoff = 50*time.Millisecond, 50*time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetChatHistory(ctx, "1@c.us", 10)
	if !errors.Is(err, greenapi.ErrServer) {
		t.Errorf("err = %v, want the last server error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("retries went on for %v after the context ended", d)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	closed := greenapitest.NewServer()
	closed.Close()

	check := func(name string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		if strings.Contains(err.Error(), greenapitest.DefaultToken) || strings.Contains(err.Error(), "wrongtoken123") {
			t.Errorf("%s: token in error %q", name, err)
		}
	}
	ctx := context.Background()

	wrongToken := fastClient(t, srv, func(cfg *greenapi.Config) { cfg.APIToken = "wrongtoken123" })
	_, err := wrongToken.GetContactInfo(ctx, "1@c.us")
	check("401", err)
	if !errors.Is(err, greenapi.ErrUnauthorized) {
		t.Errorf("wrong token: %v, want ErrUnauthorized", err)
	}

	wrongID := fastClient(t, srv, func(cfg *greenapi.Config) { cfg.IDInstance = "999" })
	_, err = wrongID.GetStateInstance(ctx)
	check("403", err)
	if !errors.Is(err, greenapi.ErrForbidden) {
		t.Errorf("wrong instance: %v, want ErrForbidden", err)
	}

	refused := fastClient(t, closed, func(cfg *greenapi.Config) { cfg.MaxAttempts = 2 })
	_, err = refused.SendMessage(ctx, greenapi.SendMessageParams{ChatID: "1@c.us", Message: "x"})
	check("connection refused", err)

	srv.FailNext(greenapi.MethodGetStateInstance, 1, greenapitest.Fault{Hang: true})
	hung := fastClient(t, srv, func(cfg *greenapi.Config) { cfg.Timeout = 100 * time.Millisecond; cfg.MaxAttempts = 1 })
	_, err = hung.GetStateInstance(ctx)
	check("timeout", err)

	srv.FailNext(greenapi.MethodGetStateInstance, 1, greenapitest.Fault{Drop: true})
	_, err = hung.GetStateInstance(ctx)
	check("dropped", err)
}

func TestMessageTooLongIsRefusedLocally(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	c := fastClient(t, srv)
	_, err := c.SendMessage(context.Background(), greenapi.SendMessageParams{ChatID: "1@c.us", Message: strings.Repeat("я", greenapi.MaxMessageLength+1)})
	if !errors.Is(err, greenapi.ErrMessageTooLong) {
		t.Errorf("err = %v, want ErrMessageTooLong", err)
	}
	if n := len(srv.Calls()); n != 0 {
		t.Errorf("%d calls reached the server", n)
	}
	if _, err := c.SendMessage(context.Background(), greenapi.SendMessageParams{ChatID: "1@c.us", Message: strings.Repeat("я", greenapi.MaxMessageLength)}); err != nil {
		t.Errorf("a message of exactly %d characters: %v", greenapi.MaxMessageLength, err)
	}
}

func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	for _, cfg := range []greenapi.Config{
		{APIURL: "ftp://x", IDInstance: "1", APIToken: "t"},
		{APIURL: "https://7105.api.greenapi.com", APIToken: "t"},
		{APIURL: "https://7105.api.greenapi.com", IDInstance: "1"},
		{APIURL: "https://7105.api.greenapi.com", IDInstance: "1", APIToken: "a/b"},
	} {
		if _, err := greenapi.NewClient(cfg); err == nil {
			t.Errorf("NewClient(%+v) accepted", cfg)
		}
	}
}

func TestBadRequestCarriesGreenAPIMessage(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t)
	_, err := fastClient(t, srv).SendMessage(context.Background(), greenapi.SendMessageParams{ChatID: "", Message: "hi"})
	var apiErr *greenapi.APIError
	if !errors.Is(err, greenapi.ErrBadRequest) || !errors.As(err, &apiErr) || apiErr.Message != "chatId and message are required" {
		t.Errorf("err = %v, want a 400 with Green API's message", err)
	}
	if n := len(srv.Calls(greenapi.MethodSendMessage)); n != 1 {
		t.Errorf("a 400 was tried %d times", n)
	}
}

func TestNotAuthorizedIsTellableFromValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err           *greenapi.APIError
		notAuthorized bool
	}{
		{&greenapi.APIError{Method: "sendMessage", Status: 400, Message: "Instance account not authorized"}, true},
		{&greenapi.APIError{Method: "sendMessage", Status: 400, Message: "chatId and message are required"}, false},
		{&greenapi.APIError{Method: "sendMessage", Status: 500, Message: "not authorized"}, false},
	} {
		if got := errors.Is(tt.err, greenapi.ErrNotAuthorized); got != tt.notAuthorized {
			t.Errorf("%v: ErrNotAuthorized = %v, want %v", tt.err, got, tt.notAuthorized)
		}
		if tt.err.Status == 400 && !errors.Is(tt.err, greenapi.ErrBadRequest) {
			t.Errorf("%v: not an ErrBadRequest", tt.err)
		}
	}
}
