// Package xml signs and verifies XML-DSig and XAdES signatures in the
// layouts of Vietnamese e-invoices and tax-authority messages.
package xml
