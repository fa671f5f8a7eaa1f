// Package sandbox is the page of `frontdesk sandbox`: a WhatsApp-like chat
// in which you write as a customer to the real service, which runs against
// an embedded fake Green API. It shows what Frontdesk sends, to the
// customer and to the operators, each step it takes and why, lets you
// break Green API on purpose, and edit the rules and texts live.
package sandbox

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/locales"
)

//go:embed web
var web embed.FS

var page = template.Must(template.ParseFS(web, "web/index.html"))

// Event is one thing the page shows, sent as a server-sent event.
type Event struct {
	Seq       int      `json:"seq"`
	Kind      string   `json:"kind"` // customer, bot, business, operator, colleague, trace, faults, config
	Chat      string   `json:"chat,omitempty"`
	Text      string   `json:"text,omitempty"`
	Step      string   `json:"step,omitempty"`
	IDMessage string   `json:"id_message,omitempty"`
	Faults    []string `json:"faults,omitempty"`
	// Style and Options are a poll's (Text its question) or buttons' (Text
	// their message): the customer taps an option (POST /sandbox/tap).
	Style   string    `json:"style,omitempty"`
	Options []string  `json:"options,omitempty"`
	At      time.Time `json:"at"`
}

// historyKept is how many events a page opened later is shown.
const historyKept = 1000

// Sandbox is the page's state and handlers.
type Sandbox struct {
	fake       *greenapitest.Server
	operators  string // the operator chat id of the sandbox's instance
	rulesFile  string
	localesDir string
	reload     func() error
	log        *slog.Logger

	editMu sync.Mutex // one edit of the files at a time

	mu          sync.Mutex
	statusURL   string // the status page, and the token that opens it
	statusToken string
	seq         int
	events      []Event
	subs        map[chan Event]struct{}
	faults      map[string]bool
}

// Config is where the sandbox's instance keeps what the page edits.
type Config struct {
	Fake       *greenapitest.Server
	Operators  string // OPERATOR_CHAT_ID
	RulesFile  string // RULES_FILE: a copy of the shipped rules the page edits
	LocalesDir string // LOCALES_DIR: the page's overrides of the shipped texts
}

// New returns the sandbox of the service that works against cfg.Fake.
func New(cfg Config, log *slog.Logger) *Sandbox {
	s := &Sandbox{fake: cfg.Fake, operators: cfg.Operators, rulesFile: cfg.RulesFile, localesDir: cfg.LocalesDir, log: log,
		subs: make(map[chan Event]struct{}), faults: make(map[string]bool)}
	cfg.Fake.OnSend(func(m greenapitest.SentMessage) {
		kind := "bot"
		if m.ChatID == s.operators {
			kind = "operator"
		}
		e := Event{Kind: kind, Chat: m.ChatID, Text: m.Message, IDMessage: m.IDMessage, At: m.At}
		switch {
		case m.Poll != nil:
			e.Style, e.Options = bot.MenuPoll, m.Poll
		case m.Buttons != nil:
			e.Style, e.Options = bot.MenuButtons, m.Buttons
		}
		s.publish(e)
	})
	return s
}

// SetStatusPage tells the page where the service's status page is, and
// the token that opens it.
func (s *Sandbox) SetStatusPage(url, token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.statusURL, s.statusToken = url, token
}

// Trace is the service's bot.Trace hook: each step of a first contact.
func (s *Sandbox) Trace(t bot.Trace) {
	s.publish(Event{Kind: "trace", Chat: t.ChatID, IDMessage: t.IDMessage, Step: t.Step, Text: t.Detail, At: t.At})
}

func (s *Sandbox) publish(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	e.Seq = s.seq
	if e.At.IsZero() {
		e.At = time.Now()
	}
	s.events = append(s.events, e)
	if len(s.events) > historyKept {
		s.events = slices.Delete(s.events, 0, len(s.events)-historyKept)
	}
	for ch := range s.subs {
		select {
		case ch <- e:
		default: // a page that does not read loses events, not the server
		}
	}
}

// Handler serves the page and its API, and passes everything else (the
// webhook) to public. reload applies the configuration files again.
func (s *Sandbox) Handler(public http.Handler, reload func() error) http.Handler {
	s.reload = reload
	mux := http.NewServeMux()
	static, _ := fs.Sub(web, "web")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.index)
	mux.HandleFunc("GET /sandbox/events", s.stream)
	mux.HandleFunc("POST /sandbox/message", s.message)
	mux.HandleFunc("POST /sandbox/business", s.business)
	mux.HandleFunc("POST /sandbox/claim", s.claim)
	mux.HandleFunc("POST /sandbox/call", s.call)
	mux.HandleFunc("POST /sandbox/tap", s.tap)
	mux.HandleFunc("POST /sandbox/fault", s.fault)
	mux.HandleFunc("GET /sandbox/config", s.config)
	mux.HandleFunc("POST /sandbox/config", s.apply)
	mux.Handle("/", public)
	return headers(mux)
}

// headers sets the page's security headers: its own scripts and styles
// only, no framing, nothing sniffed.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

func (s *Sandbox) index(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	s.mu.Lock()
	statusURL, statusToken := s.statusURL, s.statusToken
	s.mu.Unlock()
	if err := page.Execute(w, map[string]any{"Personas": Personas, "Operators": s.operators,
		"Locales": shippedLocales(), "StatusURL": statusURL, "StatusToken": statusToken}); err != nil {
		s.log.Warn("sandbox page", "err", err)
	}
}

// stream sends every event kept, then each new one, as server-sent events.
func (s *Sandbox) stream(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch := make(chan Event, 256)
	s.mu.Lock()
	past := slices.Clone(s.events)
	s.subs[ch] = struct{}{}
	faults := s.faultListLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	send := func(e Event) bool {
		data, _ := json.Marshal(e)
		if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}
	send(Event{Kind: "faults", Faults: faults, At: time.Now()})
	for _, e := range past {
		if !send(e) {
			return
		}
	}
	// The server's write timeout would cut a stream: it is lifted here.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e := <-ch:
			if !send(e) {
				return
			}
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// decode reads a JSON body of at most 64 KiB. It requires the JSON
// content type, so that another site's form cannot post to the page.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		http.Error(w, "expected application/json", http.StatusUnsupportedMediaType)
		return false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(v); err != nil {
		http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

// writeError answers {"error": msg}, which the page shows.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// chatOf reads a phone number the page sent, or answers why it cannot.
func chatOf(w http.ResponseWriter, phone string) (string, bool) {
	chat, err := greenapi.ChatIDOf(phone)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return "", false
	}
	return chat, true
}

// message is the customer writing: their profile is what getContactInfo
// will answer, and the message goes through Green API's queue to the
// webhook, as a real one does.
func (s *Sandbox) message(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Persona Persona `json:"persona"`
		Text    string  `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	chat, ok := chatOf(w, req.Persona.Phone)
	if !ok {
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		writeError(w, http.StatusBadRequest, "write something")
		return
	}
	s.fake.SetContact(chat, req.Persona.contactInfo(chat))
	id := s.fake.PushIncoming(greenapitest.Incoming{ChatID: chat, SenderName: req.Persona.Name, Text: req.Text})
	s.publish(Event{Kind: "customer", Chat: chat, Text: req.Text, IDMessage: id})
	writeJSON(w, http.StatusOK, map[string]string{"chat": chat, "id_message": id})
}

// call is the customer calling the number, and nobody picking up: Green
// API's incomingCall when it rings (offer), then when the caller hangs up
// (missed).
func (s *Sandbox) call(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Persona Persona `json:"persona"`
	}
	if !decode(w, r, &req) {
		return
	}
	chat, ok := chatOf(w, req.Persona.Phone)
	if !ok {
		return
	}
	s.fake.SetContact(chat, req.Persona.contactInfo(chat))
	id := s.fake.PushCall(greenapitest.PhoneCall{From: chat}, greenapitest.CallOffer, greenapitest.CallMissed)
	s.publish(Event{Kind: "customer", Chat: chat, Text: "📞 A call nobody picked up", IDMessage: id})
	writeJSON(w, http.StatusOK, map[string]string{"chat": chat, "id_message": id})
}

// tap is the customer voting in a poll Frontdesk sent, or tapping one of
// its buttons: the vote (the customer's whole choice, as Green API sends
// it) or the tap (as interactiveButtonsResponse) goes through Green API's
// queue to the webhook.
func (s *Sandbox) tap(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone     string `json:"phone"`
		Name      string `json:"name"`
		IDMessage string `json:"id_message"`
		Option    int    `json:"option"`
	}
	if !decode(w, r, &req) {
		return
	}
	chat, ok := chatOf(w, req.Phone)
	if !ok {
		return
	}
	i := slices.IndexFunc(s.fake.Sent(chat), func(m greenapitest.SentMessage) bool { return m.IDMessage == req.IDMessage })
	if i < 0 {
		writeError(w, http.StatusBadRequest, "no such poll or buttons in this chat")
		return
	}
	sent := s.fake.Sent(chat)[i]
	options := firstNonNil(sent.Poll, sent.Buttons)
	if req.Option < 0 || req.Option >= len(options) {
		writeError(w, http.StatusBadRequest, "no such option")
		return
	}
	in, text := greenapitest.Vote(sent, req.Option), "● "+options[req.Option]
	if sent.Buttons != nil {
		in, text = greenapitest.Tap(sent, "interactiveButtonsResponse", req.Option), "▸ "+options[req.Option]
	}
	in.SenderName = req.Name
	id := s.fake.PushIncoming(in)
	s.publish(Event{Kind: "customer", Chat: chat, Text: text, IDMessage: id})
	writeJSON(w, http.StatusOK, map[string]string{"chat": chat, "id_message": id})
}

func firstNonNil(lists ...[]string) []string {
	for _, l := range lists {
		if l != nil {
			return l
		}
	}
	return nil
}

// business is the business writing to a chat from its phone: afterwards
// the chat is known, and its next message is no first contact.
func (s *Sandbox) business(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Phone string `json:"phone"`
		Text  string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	chat, ok := chatOf(w, req.Phone)
	if !ok {
		return
	}
	text := firstNonEmpty(strings.TrimSpace(req.Text), "Hello! (written on the business's phone)")
	id := s.fake.PushOutgoing(chat, text)
	s.publish(Event{Kind: "business", Chat: chat, Text: text, IDMessage: id})
	writeJSON(w, http.StatusOK, map[string]string{"chat": chat})
}

// Colleague is the operator who writes in the sandbox's operators' chat.
var Colleague = struct{ Name, Phone string }{"Anna", "5511900000001"}

// claim is an operator (Colleague) replying "+" in the operators' chat to
// the message id_message (a summary, a reminder): how a contact is taken.
func (s *Sandbox) claim(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDMessage string `json:"id_message"`
		Quoted    string `json:"quoted"` // the quoted message's text, as WhatsApp sends it along
		Text      string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	if req.IDMessage == "" {
		writeError(w, http.StatusBadRequest, "id_message: which message of the operators' chat to reply to")
		return
	}
	text := firstNonEmpty(strings.TrimSpace(req.Text), "+")
	id := s.fake.PushIncoming(greenapitest.Incoming{ChatID: s.operators, Sender: Colleague.Phone + "@c.us", SenderName: Colleague.Name,
		Data: greenapitest.Quote(req.IDMessage, greenapitest.AccountWid, req.Quoted, text)})
	s.publish(Event{Kind: "colleague", Chat: s.operators, Text: Colleague.Name + ": " + text, IDMessage: id})
	writeJSON(w, http.StatusOK, map[string]string{"id_message": id})
}

// Faults the page can inject, each over the calls it breaks.
var faultSet = map[string]struct {
	methods []string
	fault   greenapitest.Fault
}{
	"down":          {[]string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory, greenapi.MethodGetStateInstance}, greenapitest.Fault{Drop: true}},
	"rate_limited":  {[]string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory}, greenapitest.Fault{Status: http.StatusTooManyRequests}},
	"lookups_fail":  {[]string{greenapi.MethodGetContactInfo}, greenapitest.Fault{Status: http.StatusInternalServerError}},
	"quota_spent":   {[]string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage}, greenapitest.Fault{Status: 466}},
	"sends_timeout": {[]string{greenapi.MethodSendMessage}, greenapitest.Fault{Status: http.StatusInternalServerError, AfterWork: true}},
	// polls_refused refuses sendPoll and sendInteractiveButtonsReply for
	// good (RefuseInteractive): the numbered text goes instead.
	"polls_refused": {},
}

// faultOrder is the order in which faults are applied when several break
// one method: the first wins.
var faultOrder = []string{"down", "quota_spent", "rate_limited", "lookups_fail", "sends_timeout", "polls_refused"}

func (s *Sandbox) fault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name string `json:"name"`
		On   bool   `json:"on"`
	}
	if !decode(w, r, &req) {
		return
	}
	if _, ok := faultSet[req.Name]; !ok {
		writeError(w, http.StatusBadRequest, "no fault "+req.Name)
		return
	}
	s.mu.Lock()
	s.faults[req.Name] = req.On
	// Each method fails with the first fault on that breaks it.
	broken := map[string]greenapitest.Fault{}
	for _, name := range faultOrder {
		if !s.faults[name] {
			continue
		}
		for _, m := range faultSet[name].methods {
			if _, ok := broken[m]; !ok {
				broken[m] = faultSet[name].fault
			}
		}
	}
	for _, m := range []string{greenapi.MethodGetContactInfo, greenapi.MethodSendMessage, greenapi.MethodGetChatHistory, greenapi.MethodGetStateInstance} {
		if f, ok := broken[m]; ok {
			s.fake.FailRandomly(m, 1, f)
		} else {
			s.fake.FailRandomly(m, 0)
		}
	}
	if s.faults["polls_refused"] {
		s.fake.RefuseInteractive(http.StatusBadRequest)
	} else {
		s.fake.RefuseInteractive(0)
	}
	list := s.faultListLocked()
	s.mu.Unlock()
	s.publish(Event{Kind: "faults", Faults: list})
	writeJSON(w, http.StatusOK, map[string]any{"faults": list})
}

func (s *Sandbox) faultListLocked() []string {
	list := []string{}
	for _, name := range faultOrder {
		if s.faults[name] {
			list = append(list, name)
		}
	}
	return list
}

// config returns the rules and the texts of a locale as the page edits
// them: the sandbox's copy of the rules, and the locale's override if the
// page wrote one, else the shipped file.
// MenuExample is a rules file the page offers to try: a greeting that
// ends with a menu whose answer routes the contact.
const MenuExample = `# An example: the greeting ends with a menu; the answer routes the contact.
# Reply 1, 2 or 3 (or Sales, Support, …) after the greeting; with no answer
# within choice_wait the summary goes to the operators saying so.
[[rule]]
id = "menu"
reply = "greeting_generic"
forward = true
choice_wait = "2m"
menu_style = "text"   # or "poll", or "buttons": the menu as a poll or buttons after the greeting

[[rule.choice]]
id = "sales"
label = "choice_sales"
forward = true

[[rule.choice]]
id = "support"
label = "choice_support"
reply = "support_answer"

[[rule.choice]]
id = "other"
label = "choice_other"
forward = false
`

// RemindersExample is a rules file the page offers to try, with the
// sandbox's operators' chat for %[1]s: no person answers within a minute,
// and the operators are reminded; an operator takes the contact by
// replying "+" to its summary.
const RemindersExample = `# An example: no person of the business answers within a minute (write
# as a customer, then wait): one reminder to the operators, and the
# customer is told once that a person will answer; after two minutes, one
# escalation. "Reply +" under the summary takes the contact (the reminder
# then names who took it, a minute after the claim); "The business writes
# from its phone" answers it, and nothing more is sent.
answer_within = "1m"
escalate_to = "%[1]s"
escalate_after = "2m"
hold_message = "hold"

[[rule]]
id = "everyone"
reply = "greeting_generic"
forward = true
`

func (s *Sandbox) config(w http.ResponseWriter, r *http.Request) {
	rules, err := os.ReadFile(s.rulesFile)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	lang := r.URL.Query().Get("locale")
	out := map[string]string{"rules": string(rules), "menu_example": MenuExample, "reminders_example": fmt.Sprintf(RemindersExample, s.operators), "shipped_rules": bot.DefaultRules}
	if lang != "" {
		text, err := s.localeText(lang)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		out["locale"] = text
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) localeText(lang string) (string, error) {
	if !slices.Contains(shippedLocales(), lang) && !validLang(lang) {
		return "", fmt.Errorf("%q is not a language code", lang)
	}
	name := "active." + lang + ".toml"
	if data, err := os.ReadFile(filepath.Join(s.localesDir, name)); err == nil {
		return string(data), nil
	}
	data, err := fs.ReadFile(locales.Files, name)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	return string(data), err
}

// apply writes an edited file and reloads the service's configuration, as
// SIGHUP does: a mistake is answered with the same errors as frontdesk
// check (file, line, key), the file is put back, and the running rules and
// texts stay.
func (s *Sandbox) apply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		File   string `json:"file"` // rules or locale
		Locale string `json:"locale"`
		Text   string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	var path string
	switch req.File {
	case "rules":
		path = s.rulesFile
	case "locale":
		if !validLang(req.Locale) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a language code", req.Locale))
			return
		}
		path = filepath.Join(s.localesDir, "active."+req.Locale+".toml")
	default:
		writeError(w, http.StatusBadRequest, "file: expected rules or locale")
		return
	}
	s.editMu.Lock()
	defer s.editMu.Unlock()
	before, readErr := os.ReadFile(path)
	if err := os.WriteFile(path, []byte(req.Text), 0o600); err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	if err := s.reload(); err != nil {
		if readErr == nil {
			_ = os.WriteFile(path, before, 0o600)
		} else {
			_ = os.Remove(path)
		}
		msg := strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), "")
		writeError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	s.publish(Event{Kind: "config", Text: "applied " + filepath.Base(path)})
	writeJSON(w, http.StatusOK, map[string]string{"applied": filepath.Base(path)})
}

// validLang accepts a language code as a locale file's name: letters and
// a region, nothing that leaves the directory.
func validLang(s string) bool {
	if len(s) < 2 || len(s) > 10 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-') {
			return false
		}
	}
	return true
}

// shippedLocales lists the languages of the embedded locale files.
func shippedLocales() []string {
	names, _ := fs.Glob(locales.Files, "active.*.toml")
	var out []string
	for _, n := range names {
		out = append(out, strings.TrimSuffix(strings.TrimPrefix(n, "active."), ".toml"))
	}
	return out
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
