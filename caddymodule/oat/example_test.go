package oat_test

import (
	"errors"
	"fmt"

	"github.com/oatgate/oatgate/caddymodule/oat"
)

func Example() {
	tok, err := oat.Generate()
	if err != nil {
		panic(err)
	}
	// Printing a Token never shows the secret.
	fmt.Println(tok)
	fmt.Println(len(tok.Reveal()), oat.Check(tok.Reveal()))

	// A typo is caught locally, before any lookup.
	typo := []byte(tok.Reveal())
	typo[10] ^= 1
	fmt.Println(oat.Check(string(typo)) != nil)
	fmt.Println(errors.Is(oat.Check("oat_short"), oat.ErrFormat))
	// Output:
	// oat_***
	// 53 <nil>
	// true
	// true
}
