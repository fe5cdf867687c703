package caddymodule

import (
	"encoding/json"
	"testing"
)

func TestUsageReportsAreOnByDefaultAndSharedAcrossAReload(t *testing.T) {
	const cfg = `{"store":"http://127.0.0.1:1","store_key":"a-usage-report-key-for-tests","usage_report_interval":"1h"}`
	tests := []struct {
		name   string
		config string
		on     bool
	}{
		{"reports are on without the option", cfg, true},
		{"usage_reports false turns them off", `{"store":"http://127.0.0.1:1","store_key":"a-usage-report-key-for-tests","usage_reports":false}`, false},
		{"usage_reports true keeps them on", `{"store":"http://127.0.0.1:1","store_key":"a-usage-report-key-for-tests","usage_reports":true}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ra := provisioned(t, tt.config); (ra.reports != nil) != tt.on {
				t.Fatalf("reporter %v, want on=%v", ra.reports, tt.on)
			}
		})
	}
	t.Run("a reload with the same options shares the reporter, another buffer gets its own", func(t *testing.T) {
		old, reloaded := provisioned(t, cfg), provisioned(t, cfg)
		if old.reports != reloaded.reports {
			t.Fatal("a reload with the same options built a new reporter, want the pooled one kept")
		}
		other := provisioned(t, `{"store":"http://127.0.0.1:1","store_key":"a-usage-report-key-for-tests","usage_report_interval":"1h","usage_report_buffer":7}`)
		if other.reports == old.reports {
			t.Fatal("another buffer shares the reporter, want its own")
		}
		if err := old.Cleanup(); err != nil {
			t.Fatal(err)
		}
		if old.reports != nil || reloaded.reports == nil {
			t.Fatal("Cleanup of the old config let go of the wrong reporter")
		}
	})
}

func TestNegativeUsageReportOptionsAreRefused(t *testing.T) {
	for _, cfg := range []string{
		`{"store":"http://127.0.0.1:1","store_key":"k-for-tests-k-for-tests","usage_report_interval":-1}`,
		`{"store":"http://127.0.0.1:1","store_key":"k-for-tests-k-for-tests","usage_report_buffer":-1}`,
	} {
		ra := new(RegistryAuth)
		if err := jsonInto(cfg, ra); err != nil {
			t.Fatal(err)
		}
		ra.stores = ra.Store
		if err := ra.checkOptions("k-for-tests-k-for-tests"); err == nil {
			t.Errorf("%s: no error, want one naming the option", cfg)
		}
	}
}

func jsonInto(config string, ra *RegistryAuth) error { return json.Unmarshal([]byte(config), ra) }
