package store

// WebhookFields lists the columns of the webhooks table and where each
// lives in w; the secret is a column like the others (it must be usable to
// sign), read back only by the dispatcher's claim and the rules.
func WebhookFields(w *Webhook) []Field {
	return []Field{
		{"org", &w.Org},
		{"name", &w.Name},
		{"url", &w.URL},
		{"events", (*spaceList)(&w.Events)},
		{"secret", (*string)(&w.Secret)},
		{"created_at", &w.CreatedAt},
		{"updated_at", &w.UpdatedAt},
	}
}

// DeliveryFields lists the columns of the deliveries table and where each
// lives in d. The id comes first: the database assigns it on insert.
func DeliveryFields(d *Delivery) []Field {
	return []Field{
		{"id", &d.ID},
		{"org", &d.Org},
		{"webhook", &d.Webhook},
		{"event_id", &d.EventID},
		{"event_type", &d.EventType},
		{"created_at", &d.CreatedAt},
		{"attempts", &d.Attempts},
		{"last_status", &d.LastStatus},
		{"last_error", &d.LastError},
		{"next_attempt_at", &d.NextAttemptAt},
		{"delivered_at", &d.DeliveredAt},
		{"failed_at", &d.FailedAt},
		{"claimed_until", &d.ClaimedUntil},
	}
}

// WebhookColumns and DeliveryColumns are the column names, in field order.
var (
	WebhookColumns  = columns(WebhookFields(new(Webhook)))
	DeliveryColumns = columns(DeliveryFields(new(Delivery)))
)

// ScanWebhook reads a row selected in WebhookColumns order.
func ScanWebhook(s Scanner, conv Convert) (Webhook, error) {
	var w Webhook
	if err := s.Scan(Dests(WebhookFields(&w), conv)...); err != nil {
		return Webhook{}, err
	}
	w.CreatedAt, w.UpdatedAt = Millis(w.CreatedAt), Millis(w.UpdatedAt)
	return w, nil
}

// ScanDelivery reads a row selected in DeliveryColumns order, then extra
// destinations (the claim's body, URL and secret).
func ScanDelivery(s Scanner, conv Convert, extra ...any) (Delivery, error) {
	var d Delivery
	if err := s.Scan(append(Dests(DeliveryFields(&d), conv), extra...)...); err != nil {
		return Delivery{}, err
	}
	d.CreatedAt, d.ClaimedUntil = Millis(d.CreatedAt), Millis(d.ClaimedUntil)
	d.NextAttemptAt, d.DeliveredAt, d.FailedAt = millisPtr(d.NextAttemptAt), millisPtr(d.DeliveredAt), millisPtr(d.FailedAt)
	return d, nil
}

// ScanExpiryCandidate reads a row selected in TokenColumns order followed
// by the space-separated thresholds already noticed.
func ScanExpiryCandidate(s Scanner, conv Convert) (ExpiryCandidate, error) {
	var (
		c ExpiryCandidate
		t Token
	)
	if err := s.Scan(append(Dests(TokenFields(&t), conv), (*spaceList)(&c.Noticed))...); err != nil {
		return ExpiryCandidate{}, err
	}
	c.Token = t.rounded()
	return c, nil
}
