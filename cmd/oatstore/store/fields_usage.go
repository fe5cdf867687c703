package store

import (
	"strings"

	"github.com/oatgate/oatgate/caddymodule/storeapi"
)

// UsageFields lists the columns of the usage_hourly table and where each
// lives in c. The key (org, token_id, repository, hour) comes first.
func UsageFields(c *storeapi.UsageCount) []Field {
	return []Field{
		{"org", &c.Org},
		{"token_id", &c.TokenID},
		{"repository", &c.Repository},
		{"hour", &c.Hour},
		{"token_label", &c.TokenLabel},
		{"requests", &c.Requests},
		{"pulls", &c.Pulls},
		{"version_checks", &c.VersionChecks},
		{"pushes", &c.Pushes},
		{"deletes", &c.Deletes},
		{"denied", &c.Denied},
		{"bytes_in", &c.BytesIn},
		{"bytes_out", &c.BytesOut},
	}
}

// usageKeyColumns is how many of UsageFields' columns are the key.
const usageKeyColumns = 4

// RegistryActivityFields lists the columns of the registry_activity table
// and where each lives in a. The id comes first: the database assigns it.
func RegistryActivityFields(a *RegistryActivity) []Field {
	return []Field{
		{"id", &a.ID},
		{"org", &a.Org},
		{"at", &a.At},
		{"action", &a.Action},
		{"token_id", &a.TokenID},
		{"token_label", &a.TokenLabel},
		{"repository", &a.Repository},
		{"tag", &a.Tag},
		{"digest", &a.Digest},
		{"reason", &a.Reason},
		{"client_ip", &a.ClientIP},
		{"user_agent", &a.UserAgent},
	}
}

// UsageColumns and RegistryActivityColumns are the column names, in field
// order.
var (
	UsageColumns            = columns(UsageFields(new(storeapi.UsageCount)))
	RegistryActivityColumns = columns(RegistryActivityFields(new(RegistryActivity)))
)

// UsageUpsert is the conflict clause of both backends' usage insert
// ("INSERT ... ON CONFLICT <this>"): counters add up, and the label
// becomes the newest one reported unless that is empty.
func UsageUpsert() string {
	set := []string{"token_label = CASE WHEN excluded.token_label = '' THEN usage_hourly.token_label ELSE excluded.token_label END"}
	for _, c := range UsageColumns[usageKeyColumns+1:] {
		set = append(set, c+" = usage_hourly."+c+" + excluded."+c)
	}
	return "(" + strings.Join(UsageColumns[:usageKeyColumns], ", ") + ") DO UPDATE SET " + strings.Join(set, ", ")
}

// ScanUsage reads a row selected in UsageColumns order.
func ScanUsage(s Scanner) (storeapi.UsageCount, error) {
	var c storeapi.UsageCount
	err := s.Scan(Dests(UsageFields(&c), nil)...)
	return c, err
}

// ScanRegistryActivity reads a row selected in RegistryActivityColumns
// order.
func ScanRegistryActivity(s Scanner, conv Convert) (RegistryActivity, error) {
	var a RegistryActivity
	if err := s.Scan(Dests(RegistryActivityFields(&a), conv)...); err != nil {
		return RegistryActivity{}, err
	}
	a.At = Millis(a.At)
	return a, nil
}
