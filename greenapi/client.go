package greenapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// DefaultAPIURL is the API host used when an instance does not name its own.
const DefaultAPIURL = "https://api.green-api.com"

// MaxMessageLength is the longest message sendMessage accepts, in characters.
const MaxMessageLength = 20000

// Method names, as they appear in the URL.
const (
	MethodGetContactInfo      = "getContactInfo"
	MethodSendMessage         = "sendMessage"
	MethodSendFileByURL       = "sendFileByUrl"
	MethodSendPoll            = "sendPoll"
	MethodSendButtons         = "sendInteractiveButtonsReply"
	MethodGetStateInstance    = "getStateInstance"
	MethodGetChatHistory      = "getChatHistory"
	MethodReceiveNotification = "receiveNotification"
	MethodDeleteNotification  = "deleteNotification"
)

// DefaultLimits are Green API's documented per-instance rate limits, in
// requests per second.
func DefaultLimits() map[string]rate.Limit {
	return map[string]rate.Limit{
		MethodGetContactInfo:      1,
		MethodSendMessage:         50,
		MethodSendFileByURL:       50, // not documented apart; taken as sendMessage's
		MethodSendPoll:            50, // likewise
		MethodSendButtons:         50, // likewise
		MethodGetStateInstance:    10,
		MethodGetChatHistory:      10,
		MethodReceiveNotification: 100,
		MethodDeleteNotification:  100,
	}
}

// Config configures a Client.
type Config struct {
	// APIURL is the instance's API host, e.g. https://7105.api.greenapi.com.
	APIURL     string
	IDInstance string
	APIToken   string
	// HTTPClient defaults to a client without a global timeout: each call
	// gets its own (Timeout).
	HTTPClient *http.Client
	// Timeout bounds one attempt of one call; default 30 s.
	Timeout time.Duration
	// Limits overrides DefaultLimits per method.
	Limits map[string]rate.Limit
	// MaxAttempts bounds the tries of one call; default 5. The caller's
	// context bounds them too.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// tries; defaults 500 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Observe, if set, is told of every HTTP attempt: the method, the
	// status (0 when no answer came) and how long it took.
	Observe func(method string, status int, d time.Duration)
	// Limiter, if set, gives each attempt of a method it limits its turn,
	// in place of the client's own limiter, and returns true; for a method
	// it leaves to the client it returns false. Replicas share Green API's
	// per-instance limits through it.
	Limiter func(ctx context.Context, method string) (limited bool, err error)
}

// Client calls one Green API instance. It is safe for concurrent use; its
// rate limiters are shared by every goroutine that uses it.
type Client struct {
	base        string // {apiUrl}/waInstance{idInstance}
	token       string
	http        *http.Client
	timeout     time.Duration
	limiters    map[string]*rate.Limiter
	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration
	observe     func(method string, status int, d time.Duration)
	limiter     func(ctx context.Context, method string) (bool, error)
}

// NewClient returns a client for the instance cfg names.
func NewClient(cfg Config) (*Client, error) {
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(cfg.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("greenapi: API URL %q is not an http(s) URL", cfg.APIURL)
	}
	if cfg.IDInstance == "" || strings.ContainsAny(cfg.IDInstance, "/?#") {
		return nil, errors.New("greenapi: idInstance is empty or not a plain id")
	}
	if cfg.APIToken == "" || strings.ContainsAny(cfg.APIToken, "/?#") {
		return nil, errors.New("greenapi: apiTokenInstance is empty or not a plain token")
	}
	c := &Client{
		base:        strings.TrimRight(cfg.APIURL, "/") + "/waInstance" + cfg.IDInstance,
		token:       cfg.APIToken,
		http:        cfg.HTTPClient,
		timeout:     orDefault(cfg.Timeout, 30*time.Second),
		limiters:    make(map[string]*rate.Limiter),
		maxAttempts: max(cfg.MaxAttempts, 0),
		minBackoff:  orDefault(cfg.MinBackoff, 500*time.Millisecond),
		maxBackoff:  orDefault(cfg.MaxBackoff, 30*time.Second),
		observe:     cfg.Observe,
		limiter:     cfg.Limiter,
	}
	if c.http == nil {
		c.http = &http.Client{}
	}
	if c.maxAttempts == 0 {
		c.maxAttempts = 5
	}
	for method, limit := range DefaultLimits() {
		if l, ok := cfg.Limits[method]; ok {
			limit = l
		}
		c.limiters[method] = rate.NewLimiter(limit, 1)
	}
	return c, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// call is a request to one method: the single transport every method uses.
type call struct {
	method   string
	httpVerb string
	suffix   string // path after the token, e.g. "/123" for deleteNotification
	query    url.Values
	body     any
	timeout  time.Duration
	// retryAmbiguous allows a retry after a failure that may have reached
	// Green API (a timeout or a 500): false for calls that must not run twice.
	retryAmbiguous bool
	// once makes one attempt only: the caller schedules its own retries.
	once bool
}

// do performs c with rate limiting and retries, and decodes a 200 answer into out.
func (cl *Client) do(ctx context.Context, c call, out any) error {
	var payload []byte
	if c.body != nil {
		var err error
		if payload, err = json.Marshal(c.body); err != nil {
			return fmt.Errorf("greenapi: %s: %w", c.method, err)
		}
	}
	attempts := cl.maxAttempts
	if c.once {
		attempts = 1
	}
	var lastErr error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, cl.backoff(attempt, lastErr)); err != nil {
				return fmt.Errorf("%w (gave up: %v)", lastErr, err)
			}
		}
		if err := cl.waitTurn(ctx, c.method); err != nil {
			if lastErr != nil {
				return fmt.Errorf("%w (gave up: %v)", lastErr, err)
			}
			if ctx.Err() == nil {
				// The limiter refuses at once a wait that would outlast the
				// deadline, or cannot give a turn: no request went out.
				return fmt.Errorf("greenapi: %s: %w (%w)", c.method, ErrNoSlot, context.DeadlineExceeded)
			}
			return fmt.Errorf("greenapi: %s: waiting for the rate limit: %w", c.method, err)
		}
		lastErr = cl.attempt(ctx, c, payload, out)
		if lastErr == nil || !cl.shouldRetry(ctx, c, lastErr) {
			return lastErr
		}
	}
	return lastErr
}

// waitTurn waits for method's turn: from the Limiter when it limits the
// method, else from the client's own limiter.
func (cl *Client) waitTurn(ctx context.Context, method string) error {
	if cl.limiter != nil {
		if limited, err := cl.limiter(ctx, method); limited || err != nil {
			return err
		}
	}
	if lim := cl.limiters[method]; lim != nil {
		return lim.Wait(ctx)
	}
	return nil
}

func (cl *Client) shouldRetry(ctx context.Context, c call, err error) bool {
	if ctx.Err() != nil || KindOf(err) != RetryLater {
		return false
	}
	if c.retryAmbiguous {
		return true
	}
	// The request surely did not run: refused by the rate limit, a gateway
	// that never reached the service, or a connection that never opened.
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch apiErr.Status {
		case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable:
			return true
		}
		return false
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// backoff returns the wait before the given attempt: exponential with full
// jitter, never less than a server's Retry-After.
func (cl *Client) backoff(attempt int, lastErr error) time.Duration {
	ceiling := cl.minBackoff << (attempt - 1)
	if ceiling > cl.maxBackoff || ceiling <= 0 {
		ceiling = cl.maxBackoff
	}
	d := cl.minBackoff/2 + rand.N(ceiling)
	var apiErr *APIError
	if errors.As(lastErr, &apiErr) && apiErr.Status == http.StatusTooManyRequests && d < time.Second {
		d = time.Second
	}
	return d
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt sends one HTTP request.
func (cl *Client) attempt(ctx context.Context, c call, payload []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, orDefault(c.timeout, cl.timeout))
	defer cancel()
	u := cl.base + "/" + c.method + "/" + cl.token + c.suffix
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, c.httpVerb, u, body)
	if err != nil {
		return fmt.Errorf("greenapi: %s: %s", c.method, cl.mask(err.Error()))
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := cl.http.Do(req)
	if cl.observe != nil {
		status := 0
		if err == nil {
			status = resp.StatusCode
		}
		cl.observe(c.method, status, time.Since(start))
	}
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			urlErr.URL = cl.mask(urlErr.URL)
		}
		return fmt.Errorf("greenapi: %s: %w", c.method, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("greenapi: %s: reading the answer: %s", c.method, cl.mask(err.Error()))
	}
	if resp.StatusCode != http.StatusOK {
		return cl.apiError(c.method, resp.StatusCode, data)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("greenapi: %s: %w: %v", c.method, ErrUnreadableAnswer, err)
	}
	return nil
}

func (cl *Client) apiError(method string, status int, body []byte) error {
	e := &APIError{Method: method, Status: status}
	if status == StatusQuotaExceeded {
		var q QuotaBody
		if json.Unmarshal(body, &q) == nil {
			e.Quota = &q
			e.Message = q.Description()
		}
		return e
	}
	var msg struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &msg) == nil && msg.Message != "" {
		e.Message = msg.Message
	} else if len(body) > 0 && len(body) < 512 && !bytes.ContainsAny(body, "<{") {
		e.Message = strings.TrimSpace(string(body))
	}
	e.Message = cl.mask(e.Message)
	return e
}

// mask removes the token from s.
func (cl *Client) mask(s string) string {
	return strings.ReplaceAll(s, cl.token, "***")
}

// ContactInfo is getContactInfo's answer.
type ContactInfo struct {
	Avatar      string    `json:"avatar"`
	Name        string    `json:"name"`
	ContactName string    `json:"contactName"`
	Email       string    `json:"email"`
	Category    string    `json:"category"`
	Description string    `json:"description"`
	Products    []Product `json:"products"`
	ChatID      string    `json:"chatId"`
	IsBusiness  bool      `json:"isBusiness"`
}

// Product is one item of a business's catalogue.
type Product struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Description  string `json:"description"`
	Availability string `json:"availability"`
	// Price is nil when the business shows no price.
	Price    *json.Number `json:"price"`
	Currency string       `json:"currency,omitempty"`
	IsHidden bool         `json:"isHidden"`
}

// GetContactInfo returns the profile of chatID. An unknown contact comes back
// with empty fields, as Green API answers. It makes one request, after the
// rate limit's turn: with 1 call a second for the whole instance, the caller
// decides when a failed lookup is worth another turn (see bot.Lookups).
func (cl *Client) GetContactInfo(ctx context.Context, chatID string) (*ContactInfo, error) {
	var info ContactInfo
	err := cl.do(ctx, call{
		method: MethodGetContactInfo, httpVerb: http.MethodPost,
		body: map[string]string{"chatId": chatID}, once: true,
	}, &info)
	if err != nil {
		return nil, err
	}
	return &info, nil
}

// SendMessageParams are sendMessage's parameters.
type SendMessageParams struct {
	ChatID          string `json:"chatId"`
	Message         string `json:"message"`
	QuotedMessageID string `json:"quotedMessageId,omitempty"`
	LinkPreview     *bool  `json:"linkPreview,omitempty"`
	// TypingTime shows "typing…" in the chat for this many milliseconds
	// before the message (1,000 to 20,000; 0 for none).
	TypingTime int `json:"typingTime,omitempty"`
}

// MinTypingTime and MaxTypingTime bound a typing indicator, in
// milliseconds.
const (
	MinTypingTime = 1000
	MaxTypingTime = 20000
)

// MaxCaptionLength is the longest caption of a file, in characters.
const MaxCaptionLength = 1024

// SendFileParams are the parameters of sendFileByUrl.
type SendFileParams struct {
	ChatID   string `json:"chatId"`
	URLFile  string `json:"urlFile"`
	FileName string `json:"fileName"` // with its extension, which says how WhatsApp shows it
	Caption  string `json:"caption,omitempty"`
	// TypingTime is as SendMessageParams'.
	TypingTime int `json:"typingTime,omitempty"`
}

// SendFileByURL sends the file at p.URLFile with its caption and returns
// the message's idMessage; retried as SendMessage is.
func (cl *Client) SendFileByURL(ctx context.Context, p SendFileParams) (string, error) {
	if n := len([]rune(p.Caption)); n > MaxCaptionLength {
		return "", fmt.Errorf("greenapi: sendFileByUrl: %w: a caption of %d characters, at most %d", ErrMessageTooLong, n, MaxCaptionLength)
	}
	return cl.send(ctx, MethodSendFileByURL, p)
}

// The limits of sendPoll and sendInteractiveButtonsReply, as Green API
// documents them.
const (
	MaxPollQuestionLength = 255 // sendPoll's message, in characters
	MinPollOptions        = 2
	MaxPollOptions        = 12  // distinct from each other
	MaxPollOptionLength   = 100 // an optionName, in characters
	MaxButtons            = 3   // buttons of one sendInteractiveButtonsReply
	MaxButtonTextLength   = 25  // a buttonText, in characters
)

// PollOptionName is one option of sendPoll.
type PollOptionName struct {
	OptionName string `json:"optionName"`
}

// SendPollParams are sendPoll's parameters.
type SendPollParams struct {
	ChatID          string           `json:"chatId"`
	Message         string           `json:"message"` // the question
	Options         []PollOptionName `json:"options"`
	MultipleAnswers bool             `json:"multipleAnswers"`
	QuotedMessageID string           `json:"quotedMessageId,omitempty"`
}

// SendPoll sends a poll and returns its idMessage: each vote arrives as a
// pollUpdateMessage whose stanzaId is that id (with the instance setting
// pollMessageWebhook). It checks the documented limits first, and is
// retried as SendMessage is.
func (cl *Client) SendPoll(ctx context.Context, p SendPollParams) (string, error) {
	if err := checkPoll(p); err != nil {
		return "", fmt.Errorf("greenapi: sendPoll: %w", err)
	}
	return cl.send(ctx, MethodSendPoll, p)
}

// checkPoll says which documented limit of sendPoll p breaks, if any.
func checkPoll(p SendPollParams) error {
	if n := len([]rune(p.Message)); n > MaxPollQuestionLength {
		return fmt.Errorf("%w: a question of %d characters, at most %d", ErrMessageTooLong, n, MaxPollQuestionLength)
	}
	if n := len(p.Options); n < MinPollOptions || n > MaxPollOptions {
		return fmt.Errorf("%w: %d options, %d to %d", ErrMessageTooLong, n, MinPollOptions, MaxPollOptions)
	}
	seen := make(map[string]bool)
	for _, o := range p.Options {
		if n := len([]rune(o.OptionName)); n > MaxPollOptionLength {
			return fmt.Errorf("%w: an option of %d characters, at most %d", ErrMessageTooLong, n, MaxPollOptionLength)
		}
		if seen[o.OptionName] {
			return fmt.Errorf("%w: the option %q twice; options must differ", ErrMessageTooLong, o.OptionName)
		}
		seen[o.OptionName] = true
	}
	return nil
}

// Button is one button of sendInteractiveButtonsReply.
type Button struct {
	ButtonID   string `json:"buttonId"`
	ButtonText string `json:"buttonText"`
}

// SendButtonsParams are sendInteractiveButtonsReply's parameters.
type SendButtonsParams struct {
	ChatID  string   `json:"chatId"`
	Header  string   `json:"header,omitempty"`
	Body    string   `json:"body"`
	Footer  string   `json:"footer,omitempty"`
	Buttons []Button `json:"buttons"`
}

// SendButtons sends a message with reply buttons
// (sendInteractiveButtonsReply, beta) and returns its idMessage: a tap
// arrives as interactiveButtonsResponse (or templateButtonsReplyMessage,
// templateButtonReplyMessage) whose stanzaId is that id. It checks the
// documented limits first, and is retried as SendMessage is.
func (cl *Client) SendButtons(ctx context.Context, p SendButtonsParams) (string, error) {
	if n := len(p.Buttons); n == 0 || n > MaxButtons {
		return "", fmt.Errorf("greenapi: %s: %w: %d buttons, 1 to %d", MethodSendButtons, ErrMessageTooLong, n, MaxButtons)
	}
	for _, b := range p.Buttons {
		if n := len([]rune(b.ButtonText)); n > MaxButtonTextLength {
			return "", fmt.Errorf("greenapi: %s: %w: a button of %d characters, at most %d", MethodSendButtons, ErrMessageTooLong, n, MaxButtonTextLength)
		}
	}
	if n := len([]rune(p.Body)); n > MaxMessageLength {
		return "", fmt.Errorf("greenapi: %s: %w: %d characters, at most %d", MethodSendButtons, ErrMessageTooLong, n, MaxMessageLength)
	}
	return cl.send(ctx, MethodSendButtons, p)
}

// send makes one call of a method that sends a message and returns its
// idMessage. An answer without one is ErrUnreadableAnswer: sent or not,
// there is no id to record, and the caller settles it.
func (cl *Client) send(ctx context.Context, method string, body any) (string, error) {
	var out struct {
		IDMessage string `json:"idMessage"`
	}
	if err := cl.do(ctx, call{method: method, httpVerb: http.MethodPost, body: body}, &out); err != nil {
		return "", err
	}
	if out.IDMessage == "" {
		return "", fmt.Errorf("greenapi: %s: %w: no idMessage", method, ErrUnreadableAnswer)
	}
	return out.IDMessage, nil
}

// SendMessage sends a text message and returns its idMessage. It retries
// only failures that surely did not send the message; after a timeout or a
// 500 the message may or may not have gone out, and the caller decides
// (see GetChatHistory).
func (cl *Client) SendMessage(ctx context.Context, p SendMessageParams) (string, error) {
	if n := len([]rune(p.Message)); n > MaxMessageLength {
		return "", fmt.Errorf("greenapi: sendMessage: %w: %d characters, at most %d", ErrMessageTooLong, n, MaxMessageLength)
	}
	return cl.send(ctx, MethodSendMessage, p)
}

// GetStateInstance returns the instance's state: authorized, notAuthorized,
// blocked, sleepMode, starting or yellowCard. It makes one request: it is
// the probe that decides whether Green API is up, and its callers ask again
// on their own schedule.
func (cl *Client) GetStateInstance(ctx context.Context) (string, error) {
	var out struct {
		StateInstance string `json:"stateInstance"`
	}
	err := cl.do(ctx, call{method: MethodGetStateInstance, httpVerb: http.MethodGet, once: true}, &out)
	return out.StateInstance, err
}

// HistoryMessage is one message of getChatHistory's answer.
type HistoryMessage struct {
	Type        string `json:"type"` // incoming or outgoing
	IDMessage   string `json:"idMessage"`
	Timestamp   int64  `json:"timestamp"`
	TypeMessage string `json:"typeMessage"`
	ChatID      string `json:"chatId"`
	TextMessage string `json:"textMessage"`
	Caption     string `json:"caption,omitempty"` // a file's
	DownloadURL string `json:"downloadUrl,omitempty"`
	SendByAPI   bool   `json:"sendByApi"`
	// PollMessageData is a poll's (typeMessage pollMessage): its question
	// (Name) and options.
	PollMessageData *PollMessage `json:"pollMessageData,omitempty"`
	// InteractiveButtons is a buttons message's (typeMessage
	// interactiveButtons or interactiveButtonsReply): its text is
	// ContentText.
	InteractiveButtons *ButtonsMessage `json:"interactiveButtons,omitempty"`
}

// GetChatHistory returns the chat's last count messages, newest first.
func (cl *Client) GetChatHistory(ctx context.Context, chatID string, count int) ([]HistoryMessage, error) {
	var out []HistoryMessage
	err := cl.do(ctx, call{
		method: MethodGetChatHistory, httpVerb: http.MethodPost,
		body: map[string]any{"chatId": chatID, "count": count}, retryAmbiguous: true,
	}, &out)
	return out, err
}

// ReceivedNotification is one notification taken from the instance's queue.
type ReceivedNotification struct {
	ReceiptID int64           `json:"receiptId"`
	Body      json.RawMessage `json:"body"`
}

// ReceiveNotification waits up to receiveTimeout seconds (5 to 60) for the
// next notification in the queue; it returns nil when none came.
func (cl *Client) ReceiveNotification(ctx context.Context, receiveTimeout int) (*ReceivedNotification, error) {
	var out *ReceivedNotification
	err := cl.do(ctx, call{
		method: MethodReceiveNotification, httpVerb: http.MethodGet,
		query:          url.Values{"receiveTimeout": {fmt.Sprint(receiveTimeout)}},
		timeout:        time.Duration(receiveTimeout+10) * time.Second,
		retryAmbiguous: true,
	}, &out)
	return out, err
}

// DeleteNotification removes a received notification from the queue.
func (cl *Client) DeleteNotification(ctx context.Context, receiptID int64) error {
	var out struct {
		Result bool `json:"result"`
	}
	return cl.do(ctx, call{
		method: MethodDeleteNotification, httpVerb: http.MethodDelete,
		suffix: fmt.Sprintf("/%d", receiptID), retryAmbiguous: true,
	}, &out)
}
