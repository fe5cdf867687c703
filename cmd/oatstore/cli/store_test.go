package cli

import "testing"

func TestDBSelection(t *testing.T) {
	tests := []struct {
		db       string
		postgres bool
		logged   string
	}{
		{"./oatstore.db", false, "./oatstore.db"},
		{"/var/lib/oatstore/postgres.db", false, "/var/lib/oatstore/postgres.db"},
		{"postgres://oat:s3cret@db:5432/oatstore", true, "postgres://oat:xxxxx@db:5432/oatstore"},
		{"postgresql://db/oatstore?sslmode=require", true, "postgresql://db/oatstore?sslmode=require"},
		{"postgres://db/oat?password=s3cret", true, "postgres://db/oat?password=xxxxx"},
	}
	for _, tc := range tests {
		t.Run(tc.db, func(t *testing.T) {
			if got := isPostgres(tc.db); got != tc.postgres {
				t.Errorf("isPostgres = %v, want %v", got, tc.postgres)
			}
			if got := logSafe(tc.db); got != tc.logged {
				t.Errorf("logSafe = %q, want %q", got, tc.logged)
			}
		})
	}
}
