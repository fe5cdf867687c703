package postgres

// Migrations is how many schema migrations this version applies.
var Migrations = len(migrations)
