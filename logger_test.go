package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/internal/logtest"
)

func TestLoggerMasksSecretsAndSpellsDurations(t *testing.T) {
	t.Parallel()
	const token = "d75b3a66374942c5b3c019c698abc2067e151558acbd412345"
	var out logtest.Buffer
	log := newLogger(&out, slog.LevelInfo, false, token, "")
	log.Warn("call failed", "url", "https://api.green-api.com/waInstance1/sendMessage/"+token,
		"err", errors.New("Post .../"+token+": timeout"), "retry_in", 1500*time.Millisecond)
	got := out.String()
	if strings.Contains(got, token) {
		t.Errorf("the token is logged: %s", got)
	}
	for _, want := range []string{`"url":"https://api.green-api.com/waInstance1/sendMessage/***"`, `"err":"Post .../***: timeout"`, `"retry_in":"1.5s"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %s\nlacks %s", got, want)
		}
	}
}

func TestLoggerMasksPhoneNumbersUnlessTold(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		full bool
		want string
	}{
		{false, `"chat":"491*******78@c.us","err":"sending to 790******67@c.us: 500","group":"120363000000000001@g.us"`},
		{true, `"chat":"491512345678@c.us","err":"sending to 79001234567@c.us: 500","group":"120363000000000001@g.us"`},
	} {
		var out logtest.Buffer
		newLogger(&out, slog.LevelInfo, tt.full).Info("first contact", "chat", "491512345678@c.us",
			"err", errors.New("sending to 79001234567@c.us: 500"), "group", "120363000000000001@g.us")
		if !strings.Contains(out.String(), tt.want) {
			t.Errorf("full=%v: %s\nlacks %s", tt.full, out.String(), tt.want)
		}
	}
}
