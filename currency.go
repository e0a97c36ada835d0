package bankfeed

// CurrencyPlaces returns the number of minor-unit digits of an ISO 4217
// currency: 2 for most, 0 for yen or won, 3 for the dinars. Unknown or empty
// codes get 2.
func CurrencyPlaces(code string) int32 {
	switch code {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
		"UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}
