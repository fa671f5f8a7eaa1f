package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
)

// TestAnswerRows: the status page's median and 90th percentile of the
// time to a person's first answer, per rule and for all, over a day and a
// week, in words.
func TestAnswerRows(t *testing.T) {
	t.Parallel()
	m := time.Minute
	week := []bot.AnswerTime{{Rule: "business", Waited: 2 * m}, {Rule: "business", Waited: 4 * m}, {Rule: "business", Waited: 6 * m}, {Rule: "business", Waited: 8 * m}, {Rule: "business", Waited: 100 * m}, {Rule: "named", Waited: 30 * time.Second}}
	day := []bot.AnswerTime{{Rule: "business", Waited: 4 * m}, {Rule: "business", Waited: 100 * m}}
	rows := answerRows(day, week)
	if len(rows) != 3 || rows[0].Name != "business" || rows[1].Name != "named" || rows[2].Name != "all" {
		t.Fatalf("rows %+v; want business, named, then all", rows)
	}
	b := rows[0]
	if b.Week != 5 || b.WeekMedian != 6*m || b.WeekP90 != 100*m || b.Day != 2 || b.DayMedian != 4*m || b.DayP90 != 100*m {
		t.Errorf("business: %+v", b)
	}
	if n := rows[1]; n.Day != 0 || n.Week != 1 || n.WeekMedian != 30*time.Second {
		t.Errorf("named: %+v", n)
	}
	if all := rows[2]; all.Week != 6 || all.WeekMedian != 4*m {
		t.Errorf("all: %+v", all)
	}
	week[0].Rating, week[1].Rating, week[5].Rating = 5, 2, 4
	rows = answerRows(day, week)
	if b, n, all := rows[0], rows[1], rows[2]; b.Rated != 2 || b.Rating != 3.5 || n.Rated != 1 || n.Rating != 4 || all.Rated != 3 || all.Rating != 11.0/3 {
		t.Errorf("ratings: business %d at %.2f, named %d at %.2f, all %d at %.2f; want 2 at 3.5, 1 at 4, 3 at 3.67", b.Rated, b.Rating, n.Rated, n.Rating, all.Rated, all.Rating)
	}
	week[0].Operator, week[1].Operator, week[2].Operator, day[0].Operator = "Anna", "Anna", "Bruno", "Anna"
	ops := operatorRows(day, week)
	if len(ops) != 3 || ops[0].Name != "Anna" || ops[0].Week != 2 || ops[0].WeekMedian != 2*m || ops[0].Day != 1 ||
		ops[1].Name != "Bruno" || ops[1].Week != 1 || ops[2].Name != "not claimed" || ops[2].Week != 3 || ops[2].Day != 1 {
		t.Errorf("per operator %+v; want Anna (2), Bruno (1), then not claimed (3)", ops)
	}
	for d, want := range map[time.Duration]string{45 * time.Second: "45 s", 12 * m: "12 min", 3*time.Hour + 5*m: "3 h 5 min",
		2 * time.Hour: "2 h", 52 * time.Hour: "2 d 4 h", 48 * time.Hour: "2 d"} {
		if got := words(d); got != want {
			t.Errorf("words(%v) = %q; want %q", d, got, want)
		}
	}
}

// TestStatusPageShowsClaimsAndChangedAnswers: the waiting list names who
// took each contact; the last first contacts say how the menu's choice
// was made and that a later answer changed nothing.
func TestStatusPageShowsClaimsAndChangedAnswers(t *testing.T) {
	t.Parallel()
	now := time.Now()
	waiting := []bot.FirstContact{{Instance: "1101000001", ChatID: "12125550170@c.us", Rule: "menu", CreatedAt: now.Add(-20 * time.Minute),
		Claim: bot.Claim{By: "Anna", At: now.Add(-10 * time.Minute)}}}
	recent := []bot.FirstContact{{Instance: "1101000001", ChatID: "12125550171@c.us", Rule: "menu", Step: bot.StepDone, CreatedAt: now,
		Choice: "sales", ChoiceBy: bot.ChosenByPoll, ChoiceMsg: "V1", ChangedTo: "support", ChangedAt: now}}
	var out strings.Builder
	if err := statusPages.ExecuteTemplate(&out, "status.html", map[string]any{"Now": now, "Waiting": waiting, "FirstContacts": recent}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{"<td>Anna</td>", "(chose sales by poll) (answered again later: support, which routes nothing)"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}
