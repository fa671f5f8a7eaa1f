package greenapitest

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// Quota466Body is the body of a real 466 answer (monthly quota spent).
const Quota466Body = `{"invokeStatus":{"method":"checkwhatsapp","used":100,"total":100,"status":"QUOTE_EXCEEDED","description":"Monthly quota has been exceeded. Please go to your personal account and change the tariff to business https://console.green-api.com"}}`

// Fault is what the server does instead of answering normally.
type Fault struct {
	// Status answers with this HTTP status (429, 500, 502, 466, ...); the
	// body is Green API's own for 466.
	Status int
	// Hang holds the request until the client gives up or the server closes.
	Hang bool
	// Drop closes the connection without an answer.
	Drop bool
	// AfterWork does the method's work (records, sends) before failing
	// with Status: the caller cannot tell whether it happened.
	AfterWork bool
	// Body, with Status 200 or 0, answers 200 with this body instead of
	// doing the method's work: an answer that breaks the contract.
	Body string
	// EmptyBody answers 200 with no body at all.
	EmptyBody bool
}

type faults struct {
	latency time.Duration
	after   time.Duration // delay between doing the work and answering
	next    []Fault       // the next calls, in order
	ratio   float64       // chance that a call fails with one of random
	random  []Fault
}

// SetLatency delays every answer of method by d.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultsLocked(method).latency = d
}

// SetAnswerDelay makes method do its work (record, send) at once but hold
// the answer for d: what a crash or a timeout "after sending" looks like.
func (s *Server) SetAnswerDelay(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultsLocked(method).after = d
}

func (s *Server) answerDelay(method string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fs := s.faults[method]; fs != nil {
		return fs.after
	}
	return 0
}

// FailNext makes the next n calls to method fail with f; further calls to
// FailNext queue behind.
func (s *Server) FailNext(method string, n int, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.faultsLocked(method)
	for range n {
		fs.next = append(fs.next, f)
	}
}

// FailChat makes every call to method that names chatID (in its body's
// chatId) fail with f, as Green API does for one broken contact while the
// others are served; the zero Fault stops it.
func (s *Server) FailChat(method, chatID string, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == (Fault{}) {
		delete(s.chatFaults, method+" "+chatID)
		return
	}
	s.chatFaults[method+" "+chatID] = f
}

// FailRandomly makes a share ratio (0 to 1) of the calls to method fail
// with one of the given faults, chosen at random; ratio 0 stops it.
func (s *Server) FailRandomly(method string, ratio float64, choices ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.faultsLocked(method)
	fs.ratio, fs.random = ratio, choices
}

func (s *Server) faultsLocked(method string) *faults {
	fs, ok := s.faults[method]
	if !ok {
		fs = new(faults)
		s.faults[method] = fs
	}
	return fs
}

// injectFault applies the method's fault, if any; it reports whether the
// request was answered and with which status (0 for a dropped connection).
// A fault with AfterWork is returned instead, for the caller to apply once
// the work is done.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, method string, body []byte) (bool, int, *Fault) {
	s.mu.Lock()
	fs := s.faults[method]
	var (
		latency time.Duration
		f       *Fault
	)
	if len(s.chatFaults) > 0 {
		var named struct {
			ChatID string `json:"chatId"`
		}
		if json.Unmarshal(body, &named) == nil {
			if cf, ok := s.chatFaults[method+" "+named.ChatID]; ok {
				f = &cf
			}
		}
	}
	if fs != nil {
		latency = fs.latency
		switch {
		case f != nil:
		case len(fs.next) > 0:
			f = &fs.next[0]
			fs.next = fs.next[1:]
		case fs.ratio > 0 && len(fs.random) > 0 && rand.Float64() < fs.ratio:
			f = &fs.random[rand.IntN(len(fs.random))]
		}
	}
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return true, 0, nil
		}
	}
	switch {
	case f == nil:
		return false, 0, nil
	case f.AfterWork:
		return false, 0, f
	case f.Hang:
		<-r.Context().Done()
		return true, 0, nil
	case f.Body != "" || f.EmptyBody:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(f.Body))
		return true, http.StatusOK, nil
	case f.Drop:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true, 0, nil
			}
		}
		panic(http.ErrAbortHandler)
	}
	return true, writeFault(w, f.Status), nil
}

// writeFault answers with a fault's status and Green API's body for it.
func writeFault(w http.ResponseWriter, status int) int {
	if status == 466 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(466)
		_, _ = w.Write([]byte(Quota466Body))
		return 466
	}
	http.Error(w, http.StatusText(status), status)
	return status
}

// SetLimit changes the rate limit the server enforces for method, in
// requests per second; 0 turns it off.
func (s *Server) SetLimit(method string, perSecond int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	WithLimit(method, perSecond)(s)
}

// window enforces a rate limit: at most limit requests in any second. A
// tolerance of 5% of the window absorbs the jitter of loopback networking,
// as a real server's clock would.
type window struct {
	mu     sync.Mutex
	limit  int
	length time.Duration
	recent []time.Time
}

func newWindow(limit int) *window {
	return &window{limit: limit, length: 950 * time.Millisecond}
}

func (w *window) allow(now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	cut := 0
	for cut < len(w.recent) && now.Sub(w.recent[cut]) >= w.length {
		cut++
	}
	w.recent = w.recent[cut:]
	if len(w.recent) >= w.limit {
		return false
	}
	w.recent = append(w.recent, now)
	return true
}
