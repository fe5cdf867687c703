// Package adversarial holds the gateway's hostile-request suite: table rows
// of raw requests, each with the status and registry error code it must get
// and whether the registry may see it at all, run through testenv against
// the real registry. It holds no library code; everything is in its tests.
package adversarial
