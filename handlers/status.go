package handlers

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/internal/redact"
	"github.com/gin-gonic/gin"
)

//go:embed web
var web embed.FS

var statusPages = template.Must(template.New("").Funcs(template.FuncMap{
	"since": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return time.Since(t).Round(time.Second).String() + " ago"
	},
	"phone": func(chat string) string { return redact.Phones(chat) },
	"wait":  words,
	"age":   func(t time.Time) time.Duration { return time.Since(t) },
}).ParseFS(web, "web/status.html", "web/login.html"))

// sessionCookie holds a signed-in browser's session on the status page.
const sessionCookie = "frontdesk_session"

// sessionLife is how long a sign-in lasts.
const sessionLife = 12 * time.Hour

// status is the read-only status page on the operations listener, served
// only with ADMIN_TOKEN: a browser signs in with the token (a session
// cookie), a script sends it as Bearer (or as the password of basic auth).
type status struct {
	token     string
	instances *Instances
	recent    bot.Recent
	depth     func() int
	history   *History
	// secureCookie marks the session cookie Secure whatever the request
	// (ADMIN_COOKIE_SECURE); without it, a request that came over TLS,
	// directly or through a proxy (X-Forwarded-Proto: https), gets one.
	secureCookie bool
	signIns      *signIns

	mu       sync.Mutex
	sessions map[string]time.Time // session id: expiry
}

// securePage sets the status page's headers: its own stylesheet only, no
// script, no framing, nothing cached.
func securePage(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}

func (s *status) routes(r *gin.Engine) {
	static, _ := fs.Sub(web, "web")
	r.GET("/static/status.css", securePage, func(c *gin.Context) { c.FileFromFS("status.css", http.FS(static)) })
	r.GET("/", securePage, s.page)
	r.POST("/login", securePage, s.login)
	r.POST("/logout", securePage, s.logout)
}

// signedIn reports whether the request carries the token or a live
// session. A token that is wrong counts as a failed sign-in of the
// request's address; an address past its failed sign-ins is answered 429
// and false, its token not compared.
func (s *status) signedIn(c *gin.Context) bool {
	header := c.GetHeader("Authorization")
	if header != "" {
		addr := remoteAddress(c.Request.RemoteAddr)
		if s.tooManyFailures(c, addr) {
			return false
		}
		if _, password, ok := c.Request.BasicAuth(); ok && equal(password, s.token) {
			return true
		}
		if authorized(header, []string{s.token}) {
			return true
		}
		s.signIns.failed(addr)
	}
	id, err := c.Cookie(sessionCookie)
	if err != nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	expiry, ok := s.sessions[id]
	if ok && time.Now().After(expiry) {
		delete(s.sessions, id)
		return false
	}
	return ok
}

// tooManyFailures answers 429, with the seconds to wait, to an address
// past its failed sign-ins.
func (s *status) tooManyFailures(c *gin.Context, addr string) bool {
	wait := s.signIns.wait(addr)
	if wait <= 0 {
		return false
	}
	c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	c.AbortWithStatus(http.StatusTooManyRequests)
	return true
}

// secure reports whether the session cookie must be Secure: configured
// so, or the browser reached us over TLS, directly or through a proxy.
func (s *status) secure(r *http.Request) bool {
	return s.secureCookie || r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// login signs in with the token posted by the sign-in form, a small
// URL-encoded form (the admin listener's body limit bounds it; a
// multipart body is refused unread).
func (s *status) login(c *gin.Context) {
	addr := remoteAddress(c.Request.RemoteAddr)
	if s.tooManyFailures(c, addr) {
		return
	}
	if ct, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); ct != "application/x-www-form-urlencoded" {
		c.AbortWithStatus(http.StatusUnsupportedMediaType)
		return
	}
	if err := c.Request.ParseForm(); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			c.AbortWithStatus(http.StatusRequestEntityTooLarge)
			return
		}
		c.AbortWithStatus(http.StatusBadRequest)
		return
	}
	if !equal(c.Request.PostForm.Get("token"), s.token) {
		s.signIns.failed(addr)
		c.Status(http.StatusUnauthorized)
		s.render(c, "login.html", map[string]any{"Wrong": true})
		return
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	s.mu.Lock()
	now := time.Now()
	for k, exp := range s.sessions {
		if now.After(exp) {
			delete(s.sessions, k)
		}
	}
	s.sessions[id] = now.Add(sessionLife)
	s.mu.Unlock()
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: int(sessionLife.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.secure(c.Request)})
	c.Redirect(http.StatusSeeOther, "/")
}

func (s *status) logout(c *gin.Context) {
	if id, err := c.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, id)
		s.mu.Unlock()
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secure(c.Request)})
	c.Redirect(http.StatusSeeOther, "/")
}

func (s *status) render(c *gin.Context, name string, data any) {
	c.Header("Content-Type", "text/html; charset=utf-8")
	if err := statusPages.ExecuteTemplate(c.Writer, name, data); err != nil {
		_ = c.Error(err)
	}
}

// instanceRow is one number as the page shows it.
type instanceRow struct {
	ID, State, Problem string
	Checked, Quota     time.Time
	Paused             bool
	Stored, Contacts   uint64
}

func (s *status) page(c *gin.Context) {
	if !s.signedIn(c) {
		if c.IsAborted() {
			return // 429
		}
		if c.GetHeader("Authorization") != "" {
			c.Status(http.StatusUnauthorized)
		}
		s.render(c, "login.html", map[string]any{})
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	var rows []instanceRow
	for _, inst := range s.instances.All() {
		state, checked, _ := inst.Get()
		rows = append(rows, instanceRow{ID: inst.ID, State: state, Checked: checked, Quota: inst.quotaSpentAt(), Problem: inst.problem(), Paused: inst.Paused() != nil,
			Stored: inst.stored.Load(), Contacts: inst.firstContacts.Load()})
	}
	data := map[string]any{"Instances": rows, "Depth": s.depth(), "Now": time.Now(), "Charts": s.history.charts()}
	if fcs, err := s.recent.RecentFirstContacts(ctx, 20); err == nil {
		data["FirstContacts"] = fcs
	} else {
		data["Error"] = err.Error()
	}
	if waiting, err := s.recent.WaitingForAnswer(ctx, 20); err == nil {
		data["Waiting"] = waiting
	} else {
		data["Error"] = err.Error()
	}
	now := time.Now()
	week, err := s.recent.AnswerTimes(ctx, now.Add(-7*24*time.Hour))
	if err == nil {
		var day []bot.AnswerTime
		if day, err = s.recent.AnswerTimes(ctx, now.Add(-24*time.Hour)); err == nil {
			data["Answers"] = answerRows(day, week)
			if ops := operatorRows(day, week); len(ops) > 1 || (len(ops) == 1 && ops[0].Name != "not claimed") {
				data["Operators"] = ops // only once someone claimed
			}
		}
	}
	if err != nil {
		data["Error"] = err.Error()
	}
	if total, dls, err := s.recent.RecentDeadLetters(ctx, 5); err == nil {
		data["DeadLetters"], data["DeadLetterTotal"] = dls, total
	} else {
		data["Error"] = err.Error()
	}
	s.render(c, "status.html", data)
}

// History keeps the last samples of what the status page charts: the
// inbox depth, and the notifications stored and first contacts made in
// each interval, of all numbers.
type History struct {
	instances *Instances
	depth     func() int
	every     time.Duration

	mu      sync.Mutex
	samples []sample
}

type sample struct {
	at                    time.Time
	depth                 int
	stored, firstContacts uint64 // totals at that time
}

// historyKept is how many samples the charts show: 15 minutes at 10 s.
const historyKept = 90

// NewHistory returns a history of the instances and the inbox's depth,
// sampled every 10 s once Run runs.
func NewHistory(instances *Instances, depth func() int) *History {
	return &History{instances: instances, depth: depth, every: 10 * time.Second}
}

// Run samples until ctx ends.
func (h *History) Run(ctx context.Context) {
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		h.sample()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *History) sample() {
	s := h.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.samples = append(h.samples, s)
	if len(h.samples) > historyKept {
		h.samples = h.samples[len(h.samples)-historyKept:]
	}
}

// chart is one small line chart, drawn as an SVG polyline by the template.
type chart struct {
	Title  string
	Last   string
	Points string // "x,y x,y …" in a 300×60 box
}

// now is the sample of this moment.
func (h *History) now() sample {
	s := sample{at: time.Now(), depth: h.depth()}
	for _, inst := range h.instances.All() {
		s.stored += inst.stored.Load()
		s.firstContacts += inst.firstContacts.Load()
	}
	return s
}

// charts draws the samples kept and this moment's.
func (h *History) charts() []chart {
	h.mu.Lock()
	samples := append([]sample(nil), h.samples...)
	h.mu.Unlock()
	samples = append(samples, h.now())
	if len(samples) > historyKept {
		samples = samples[len(samples)-historyKept:]
	}
	series := []struct {
		title string
		value func(i int) float64
	}{
		{"Inbox depth", func(i int) float64 { return float64(samples[i].depth) }},
		{"Notifications stored / 10 s", func(i int) float64 {
			if i == 0 {
				return 0
			}
			return float64(samples[i].stored - samples[i-1].stored)
		}},
		{"First contacts / 10 s", func(i int) float64 {
			if i == 0 {
				return 0
			}
			return float64(samples[i].firstContacts - samples[i-1].firstContacts)
		}},
	}
	var out []chart
	for _, sr := range series {
		c := chart{Title: sr.title}
		maxV := 1.0
		for i := range samples {
			maxV = max(maxV, sr.value(i))
		}
		var pts []string
		for i := range samples {
			x := 300 * float64(i) / float64(max(1, historyKept-1))
			y := 58 - 56*sr.value(i)/maxV
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		c.Points = strings.Join(pts, " ")
		if len(samples) > 0 {
			c.Last = fmt.Sprintf("%.0f (max %.0f)", sr.value(len(samples)-1), maxV)
		}
		out = append(out, c)
	}
	return out
}
