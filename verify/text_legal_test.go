package verify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/signer/pkitest"
)

// The report shows the fields Circular 15/2025 lists: signer, issuer,
// certificate serial and validity period (Vietnamese dates dd/mm/yyyy),
// signature algorithm, signing time, integrity, trust and status.
func TestReportCircular15Fields(t *testing.T) {
	e := newEnv(t)
	nb := time.Date(2026, 1, 2, 1, 30, 0, 0, time.UTC)
	na := time.Date(2028, 1, 2, 1, 30, 0, 0, time.UTC)
	id := e.pki.MustIssue(pkitest.Validity(nb, na))
	e.pki.SetTime(signAt)
	sig := e.sign(t, id, signSpec{claimed: true, tsa: true})
	e.pki.SetTime(checkAt)
	r := verifyOne(t, e.online(), sig, content)
	require.NotNil(t, r.Signer)
	assert.Equal(t, nb, r.Signer.NotBefore)
	assert.Equal(t, na, r.Signer.NotAfter)
	vi, en := r.Text(Vietnamese), r.Text(English)
	assert.Contains(t, vi, "Thời hạn hiệu lực của chứng thư số: từ 08:30 02/01/2026 đến 08:30 02/01/2028 (GMT+7)")
	assert.Contains(t, en, "Certificate validity period: from 2026-01-02 01:30 to 2028-01-02 01:30 UTC")
	assert.Contains(t, vi, "Số hiệu chứng thư số: "+r.Signer.Serial)
	assert.Contains(t, en, "Certificate serial number: "+r.Signer.Serial)
	assert.Contains(t, vi, "Thuật toán ký: ")
	assert.Contains(t, vi, "Thời điểm ký (theo dấu thời gian)")
	assert.Contains(t, vi, "Tổ chức cấp: ")
	assert.Contains(t, vi, "Tình trạng thu hồi")
}
