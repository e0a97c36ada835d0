// Package bankfeed holds the domain of the bankfeed engine: institutions,
// accounts, feed lines, imports and sync runs, the exact Decimal used for
// money, and the Error type every layer returns. It imports only the standard
// library; adapters live under internal/.
package bankfeed
