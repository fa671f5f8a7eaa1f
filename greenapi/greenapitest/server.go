// Package greenapitest is a fake Green API, in the spirit of net/http/httptest.
// It serves the documented URL scheme and methods, checks the instance id and
// token, enforces the per-method rate limits, records every call, delivers
// notifications by queue or webhook, and injects faults. Every test, benchmark
// and the local sandbox talk to it instead of the real Green API.
package greenapitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Default credentials of a new Server.
const (
	DefaultIDInstance = "1101000001"
	DefaultToken      = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345"
	// AccountWid is the fake account's own chat id.
	AccountWid = "71231234567@c.us"
)

// Call is one request the server received.
type Call struct {
	Method string
	Body   string
	Status int // 0 while the call is in flight, or when the connection was dropped
	At     time.Time
}

// SentMessage is one message sent through sendMessage, a file through
// sendFileByUrl (Message is then its caption), a poll through sendPoll
// (Message is its question, Poll its options) or buttons through
// sendInteractiveButtonsReply (Message is the body, Buttons their texts).
type SentMessage struct {
	ChatID     string
	Message    string
	IDMessage  string
	At         time.Time
	FileURL    string // sendFileByUrl's urlFile
	FileName   string
	TypingTime int // milliseconds of "typing…" asked for; 0 none
	Poll       []string
	Buttons    []string
	ButtonIDs  []string
}

// Server is a fake Green API instance.
type Server struct {
	*httptest.Server
	IDInstance string
	Token      string

	mu         sync.Mutex
	changed    *sync.Cond // signalled on every recorded call or queued notification
	state      string
	contacts   map[string]greenapi.ContactInfo
	calls      []Call
	sent       []SentMessage
	history    map[string][]greenapi.HistoryMessage // newest last
	queue      []queued
	nextID     int64
	limits     map[string]*window
	faults     map[string]*faults
	chatFaults map[string]Fault // method + " " + chatId: every such call fails
	refused    map[string]int   // method: the status every call gets (RefuseInteractive)
	unexpected []string
	delivery   *delivery
	onSend     func(SentMessage)
	closed     bool
}

type queued struct {
	receiptID int64
	body      []byte
}

// Option configures a Server.
type Option func(*Server)

// WithLimit sets the rate limit the server enforces for a method, in
// requests per second; 0 turns it off.
func WithLimit(method string, perSecond int) Option {
	return func(s *Server) {
		if perSecond <= 0 {
			delete(s.limits, method)
			return
		}
		s.limits[method] = newWindow(perSecond)
	}
}

// WithInstance makes the server the instance id with the API token token,
// for tests with several numbers (default: DefaultIDInstance and
// DefaultToken).
func WithInstance(id, token string) Option {
	return func(s *Server) { s.IDInstance, s.Token = id, token }
}

// NewServer starts a fake instance with Green API's documented rate limits.
// Close it when done; with a testing.TB use New.
func NewServer(opts ...Option) *Server {
	s := &Server{
		IDInstance: DefaultIDInstance,
		Token:      DefaultToken,
		state:      "authorized",
		contacts:   make(map[string]greenapi.ContactInfo),
		history:    make(map[string][]greenapi.HistoryMessage),
		limits:     make(map[string]*window),
		faults:     make(map[string]*faults),
		chatFaults: make(map[string]Fault),
		refused:    make(map[string]int),
		nextID:     1,
	}
	s.changed = sync.NewCond(&s.mu)
	for method, limit := range greenapi.DefaultLimits() {
		s.limits[method] = newWindow(int(limit))
	}
	for _, opt := range opts {
		opt(s)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// TB is the part of testing.TB that New uses.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
}

// New starts a fake instance that is closed when the test ends, and fails
// the test if it received a request it does not know.
func New(t TB, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(func() {
		s.Close()
		for _, u := range s.Unexpected() {
			t.Errorf("greenapitest: unexpected request %s", u)
		}
	})
	return s
}

// Close stops webhook delivery and the server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	d := s.delivery
	s.changed.Broadcast()
	s.mu.Unlock()
	if d != nil {
		d.stop()
	}
	s.Server.Close()
}

// Config returns a client configuration for this instance.
func (s *Server) Config() greenapi.Config {
	return greenapi.Config{APIURL: s.URL, IDInstance: s.IDInstance, APIToken: s.Token}
}

// OnSend makes f be told, in a goroutine of its own, every message the
// server accepts from sendMessage (the sandbox shows them as they come).
func (s *Server) OnSend(f func(SentMessage)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onSend = f
}

// SetState sets what getStateInstance answers.
func (s *Server) SetState(state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = state
}

// SetContact seeds the profile getContactInfo answers for chatID.
func (s *Server) SetContact(chatID string, info greenapi.ContactInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info.ChatID = chatID
	s.contacts[chatID] = info
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	// /waInstance{id}/{method}/{token}[/{rest}]
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 4)
	if len(parts) < 3 || !strings.HasPrefix(parts[0], "waInstance") {
		s.reject(w, r, http.StatusNotFound, "no such path")
		return
	}
	id, method, token := strings.TrimPrefix(parts[0], "waInstance"), parts[1], parts[2]
	rest := ""
	if len(parts) == 4 {
		rest = parts[3]
	}
	handler, ok := s.methods()[method]
	if !ok {
		s.reject(w, r, http.StatusNotFound, "unknown method")
		return
	}
	body, _ := readBody(r)
	// A call is recorded when it arrives, with status 0 until answered, so
	// that a test can act while a call is in flight.
	s.mu.Lock()
	idx := len(s.calls)
	s.calls = append(s.calls, Call{Method: method, Body: string(body), At: time.Now()})
	s.changed.Broadcast()
	s.mu.Unlock()
	record := func(status int) {
		s.mu.Lock()
		s.calls[idx].Status = status
		s.changed.Broadcast()
		s.mu.Unlock()
	}
	switch {
	case id != s.IDInstance:
		record(http.StatusForbidden)
		http.Error(w, "Forbidden", http.StatusForbidden)
		return
	case token != s.Token:
		record(http.StatusUnauthorized)
		http.Error(w, "Unauthorized", http.StatusUnauthorized)
		return
	}
	handled, status, after := s.injectFault(w, r, method, body)
	if handled {
		record(status)
		return
	}
	s.mu.Lock()
	lim := s.limits[method]
	s.mu.Unlock()
	if lim != nil && !lim.allow(time.Now()) {
		record(http.StatusTooManyRequests)
		http.Error(w, "Too Many Requests", http.StatusTooManyRequests)
		return
	}
	status, answer := handler(r, body, rest)
	if after != nil {
		record(writeFault(w, after.Status))
		return
	}
	record(status)
	if d := s.answerDelay(method); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	writeJSON(w, status, answer)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, status int, why string) {
	s.mu.Lock()
	s.unexpected = append(s.unexpected, fmt.Sprintf("%s %s (%s)", r.Method, s.mask(r.URL.Path), why))
	s.mu.Unlock()
	http.Error(w, why, status)
}

func (s *Server) mask(path string) string { return strings.ReplaceAll(path, s.Token, "***") }

type methodHandler func(r *http.Request, body []byte, rest string) (int, any)

func (s *Server) methods() map[string]methodHandler {
	return map[string]methodHandler{
		greenapi.MethodGetContactInfo:      postOnly(s.getContactInfo),
		greenapi.MethodSendMessage:         postOnly(s.sendMessage),
		greenapi.MethodSendFileByURL:       postOnly(s.sendFileByURL),
		greenapi.MethodSendPoll:            postOnly(s.sendPoll),
		greenapi.MethodSendButtons:         postOnly(s.sendButtons),
		greenapi.MethodGetChatHistory:      postOnly(s.getChatHistory),
		greenapi.MethodGetStateInstance:    s.getStateInstance,
		greenapi.MethodReceiveNotification: s.receiveNotification,
		greenapi.MethodDeleteNotification:  s.deleteNotification,
	}
}

func postOnly(h methodHandler) methodHandler {
	return func(r *http.Request, body []byte, rest string) (int, any) {
		if r.Method != http.MethodPost {
			return http.StatusMethodNotAllowed, map[string]string{"message": "use POST"}
		}
		return h(r, body, rest)
	}
}

func (s *Server) getContactInfo(_ *http.Request, body []byte, _ string) (int, any) {
	var p struct {
		ChatID string `json:"chatId"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ChatID == "" {
		return http.StatusBadRequest, map[string]string{"message": "chatId is required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	info, ok := s.contacts[p.ChatID]
	if !ok {
		// An unknown contact: every field empty, as the real API answers.
		info = greenapi.ContactInfo{ChatID: p.ChatID, Products: []greenapi.Product{}}
	}
	return http.StatusOK, info
}

func (s *Server) sendMessage(_ *http.Request, body []byte, _ string) (int, any) {
	var p greenapi.SendMessageParams
	if err := json.Unmarshal(body, &p); err != nil || p.ChatID == "" || p.Message == "" {
		return http.StatusBadRequest, map[string]string{"message": "chatId and message are required"}
	}
	if n := len([]rune(p.Message)); n > greenapi.MaxMessageLength {
		return http.StatusBadRequest, map[string]string{"message": "message length exceeds 20000 characters"}
	}
	if !typingTimeValid(p.TypingTime) {
		return http.StatusBadRequest, map[string]string{"message": "typingTime must be from 1000 to 20000"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.acceptLocked(SentMessage{ChatID: p.ChatID, Message: p.Message, TypingTime: p.TypingTime})
	id, now := msg.IDMessage, msg.At
	s.history[p.ChatID] = append(s.history[p.ChatID], greenapi.HistoryMessage{
		Type: "outgoing", IDMessage: id, Timestamp: now.Unix(), TypeMessage: "textMessage",
		ChatID: p.ChatID, TextMessage: p.Message, SendByAPI: true,
	})
	s.enqueueLocked(messageNotification(greenapi.TypeOutgoingAPIMessageReceived, s.IDInstance, now, id,
		greenapi.SenderData{ChatID: p.ChatID, Sender: AccountWid, SenderName: "Frontdesk"}, p.Message))
	s.enqueueLocked(mustJSON(map[string]any{
		"typeWebhook":  greenapi.TypeOutgoingMessageStatus,
		"instanceData": instanceData(s.IDInstance),
		"timestamp":    now.Unix(), "chatId": p.ChatID, "idMessage": id,
		"status": "sent", "sendByApi": true,
	}))
	s.changed.Broadcast()
	return http.StatusOK, map[string]string{"idMessage": id}
}

// acceptLocked records msg as accepted now, under a new id, and tells
// OnSend.
func (s *Server) acceptLocked(msg SentMessage) SentMessage {
	msg.IDMessage = fmt.Sprintf("BAE5%012X", s.nextID)
	s.nextID++
	msg.At = time.Now()
	s.sent = append(s.sent, msg)
	if s.onSend != nil {
		go s.onSend(msg)
	}
	return msg
}

func typingTimeValid(ms int) bool {
	return ms == 0 || (ms >= greenapi.MinTypingTime && ms <= greenapi.MaxTypingTime)
}

// sendFileByURL answers sendFileByUrl as documented: chatId, urlFile and a
// fileName with its extension required, a caption of 1,024 characters at
// most; the file is not fetched.
func (s *Server) sendFileByURL(_ *http.Request, body []byte, _ string) (int, any) {
	var p greenapi.SendFileParams
	if err := json.Unmarshal(body, &p); err != nil || p.ChatID == "" || p.URLFile == "" || p.FileName == "" {
		return http.StatusBadRequest, map[string]string{"message": "chatId, urlFile and fileName are required"}
	}
	if !strings.HasPrefix(p.URLFile, "http://") && !strings.HasPrefix(p.URLFile, "https://") {
		return http.StatusBadRequest, map[string]string{"message": "urlFile must be a link"}
	}
	if !strings.Contains(p.FileName, ".") {
		return http.StatusBadRequest, map[string]string{"message": "fileName must contain the file extension"}
	}
	if len([]rune(p.Caption)) > greenapi.MaxCaptionLength {
		return http.StatusBadRequest, map[string]string{"message": "caption length exceeds 1024 characters"}
	}
	if !typingTimeValid(p.TypingTime) {
		return http.StatusBadRequest, map[string]string{"message": "typingTime must be from 1000 to 20000"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.acceptLocked(SentMessage{ChatID: p.ChatID, Message: p.Caption, FileURL: p.URLFile, FileName: p.FileName, TypingTime: p.TypingTime})
	id, now := msg.IDMessage, msg.At
	kind := "documentMessage"
	switch strings.ToLower(path.Ext(p.FileName)) {
	case ".jpg", ".jpeg", ".png", ".webp", ".gif":
		kind = "imageMessage"
	case ".mp4", ".mov":
		kind = "videoMessage"
	}
	s.history[p.ChatID] = append(s.history[p.ChatID], greenapi.HistoryMessage{
		Type: "outgoing", IDMessage: id, Timestamp: now.Unix(), TypeMessage: kind,
		ChatID: p.ChatID, Caption: p.Caption, DownloadURL: p.URLFile, SendByAPI: true,
	})
	s.enqueueLocked(messageNotification(greenapi.TypeOutgoingAPIMessageReceived, s.IDInstance, now, id,
		greenapi.SenderData{ChatID: p.ChatID, Sender: AccountWid, SenderName: "Frontdesk"}, p.Caption))
	s.changed.Broadcast()
	return http.StatusOK, map[string]string{"idMessage": id}
}

func (s *Server) getChatHistory(_ *http.Request, body []byte, _ string) (int, any) {
	var p struct {
		ChatID string `json:"chatId"`
		Count  int    `json:"count"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.ChatID == "" {
		return http.StatusBadRequest, map[string]string{"message": "chatId is required"}
	}
	if p.Count <= 0 {
		p.Count = 100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.history[p.ChatID]
	out := make([]greenapi.HistoryMessage, 0, p.Count)
	for i := len(h) - 1; i >= 0 && len(out) < p.Count; i-- {
		out = append(out, h[i])
	}
	return http.StatusOK, out
}

func (s *Server) getStateInstance(*http.Request, []byte, string) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return http.StatusOK, map[string]string{"stateInstance": s.state}
}

// Calls returns every call received so far, optionally only those to the
// given methods.
func (s *Server) Calls(methods ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(methods) == 0 || contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

// Sent returns the messages sent so far, optionally only to the given chat.
func (s *Server) Sent(chatID ...string) []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SentMessage
	for _, m := range s.sent {
		if len(chatID) == 0 || contains(chatID, m.ChatID) {
			out = append(out, m)
		}
	}
	return out
}

// WaitSent waits until at least n messages were sent to chatID (any chat if
// empty) and returns them; it returns what there is after timeout.
func (s *Server) WaitSent(chatID string, n int, timeout time.Duration) []SentMessage {
	s.waitFor(timeout, func() bool { return len(s.sentLocked(chatID)) >= n })
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sentLocked(chatID)
}

func (s *Server) sentLocked(chatID string) []SentMessage {
	var out []SentMessage
	for _, m := range s.sent {
		if chatID == "" || m.ChatID == chatID {
			out = append(out, m)
		}
	}
	return out
}

// waitFor waits until cond, called with s.mu held, holds or timeout passes.
func (s *Server) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	timer := time.AfterFunc(timeout, func() {
		s.mu.Lock()
		s.changed.Broadcast()
		s.mu.Unlock()
	})
	defer timer.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for !cond() {
		if s.closed || !time.Now().Before(deadline) {
			return false
		}
		s.changed.Wait()
	}
	return true
}

// Unexpected lists the requests the server did not know how to answer.
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	defer r.Body.Close()
	return io.ReadAll(io.LimitReader(r.Body, 1<<20))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func instanceData(id string) map[string]any {
	n, _ := strconv.ParseInt(id, 10, 64)
	return map[string]any{"idInstance": n, "wid": AccountWid, "typeInstance": "whatsapp"}
}
