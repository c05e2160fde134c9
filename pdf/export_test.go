package pdf

// Test helpers of this package for the external tests (package pdf_test).
var (
	ClassicPDFForTest = classicPDF
	CheckToolsForTest = checkTools
	LTVToolsForTest   = ltvTools
)
