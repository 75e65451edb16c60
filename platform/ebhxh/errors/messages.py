"""Human messages for every error code, Vietnamese first and English on request.

Templates use `str.format` with the error's `params` (e.g. `{field}`, `{value}`); a missing
parameter is left visible rather than raising, so a message never turns into a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

from ebhxh.errors.codes import ErrorCode

Language = Literal["vi", "en"]
DEFAULT_LANGUAGE: Language = "vi"


class Message(NamedTuple):
    """One error's title and detail template, in both languages."""

    vi: str
    en: str


MESSAGES: Mapping[ErrorCode, Message] = {
    ErrorCode.MALFORMED_JSON: Message(
        "Nội dung yêu cầu không phải JSON hợp lệ.",
        "The request body is not valid JSON.",
    ),
    ErrorCode.FIELD_REQUIRED: Message(
        "Thiếu trường bắt buộc `{field}`.",
        "The required field `{field}` is missing.",
    ),
    ErrorCode.UNKNOWN_FIELD: Message(
        "Trường `{field}` không được hỗ trợ.",
        "The field `{field}` is not accepted.",
    ),
    ErrorCode.INVALID_TYPE: Message(
        "Trường `{field}` sai kiểu dữ liệu: {reason}.",
        "The field `{field}` has the wrong type: {reason}.",
    ),
    ErrorCode.INVALID_VALUE: Message(
        "Giá trị của trường `{field}` không hợp lệ: {reason}.",
        "The value of `{field}` is not valid: {reason}.",
    ),
    ErrorCode.INVALID_PARAMETER: Message(
        "Tham số `{field}` không hợp lệ.",
        "The parameter `{field}` is not valid.",
    ),
    ErrorCode.TAX_CODE_FORMAT: Message(
        "Mã số thuế phải gồm 10 chữ số, hoặc 13 chữ số dạng NNNNNNNNNN-NNN cho chi nhánh.",
        "A tax code has 10 digits, or 13 written NNNNNNNNNN-NNN for a branch.",
    ),
    ErrorCode.TAX_CODE_CHECKSUM: Message(
        "Mã số thuế {value} sai chữ số kiểm tra; vui lòng kiểm tra lại trên giấy phép kinh doanh.",
        "The tax code {value} has a wrong check digit; check it against the business licence.",
    ),
    ErrorCode.TAX_CODE_ZERO_BODY: Message(
        "Mã số thuế không được có chữ số thứ 3 đến 9 đều bằng 0.",
        "A tax code cannot have digits 3 to 9 all zero.",
    ),
    ErrorCode.TAX_CODE_BRANCH_SUFFIX: Message(
        "Phần đuôi chi nhánh của mã số thuế không được là 000.",
        "A branch tax code cannot end in -000.",
    ),
    ErrorCode.UNIT_CODE_FORMAT: Message(
        "Mã đơn vị gồm đúng 7 ký tự chữ in hoa hoặc chữ số (ví dụ TZH490L).",
        "A unit code is exactly 7 upper-case letters or digits (e.g. TZH490L).",
    ),
    ErrorCode.ORG_DUPLICATE_EXTERNAL_ID: Message(
        "Mã ngoài `{value}` xuất hiện nhiều lần trong cơ cấu tổ chức.",
        "The external id `{value}` appears more than once in the organisation tree.",
    ),
    ErrorCode.ORG_UNKNOWN_PARENT: Message(
        "Đơn vị cha `{value}` không có trong cơ cấu tổ chức được gửi.",
        "The parent `{value}` is not in the pushed organisation tree.",
    ),
    ErrorCode.ORG_CYCLE: Message(
        "Cơ cấu tổ chức có vòng lặp: {value}.",
        "The organisation tree has a cycle: {value}.",
    ),
    ErrorCode.ORG_NODE_IN_USE: Message(
        "Không thể xóa `{value}` vì đơn vị tham gia BHXH đã được khai báo trên nút này.",
        "Cannot remove `{value}`: an insurance unit is declared on it.",
    ),
    ErrorCode.ORG_NODE_NOT_FOUND: Message(
        "Không tìm thấy nút tổ chức `{value}`.",
        "The organisation node `{value}` was not found.",
    ),
    ErrorCode.ORG_NODE_NOT_LEGAL_ENTITY: Message(
        "Nút `{value}` là {kind}, không phải pháp nhân; chỉ công ty, chi nhánh hoặc công ty con "
        "mới khai báo được là đơn vị.",
        "The node `{value}` is a {kind}, not a legal entity; only a company, branch or "
        "subsidiary can be declared as a unit.",
    ),
    ErrorCode.PROVINCE_UNKNOWN: Message(
        "Không nhận ra tỉnh/thành phố `{value}`.",
        "The province `{value}` is not recognised.",
    ),
    ErrorCode.PROVINCE_REQUIREMENT: Message(
        "Yêu cầu riêng của tỉnh/thành phố: {vi}",
        "A requirement of the province: {en}",
    ),
    ErrorCode.UNIT_PARTICIPATION: Message(
        "Chọn đúng một trong hai: đơn vị tham gia BHXH lần đầu, hoặc nhập mã đơn vị đã có.",
        "Choose exactly one: a first-time participant, or the existing unit code.",
    ),
    ErrorCode.UNIT_TAX_CODE_TAKEN: Message(
        "Mã số thuế {value} đã được khai báo cho một đơn vị khác của doanh nghiệp.",
        "The tax code {value} is already declared for another unit of this company.",
    ),
    ErrorCode.UNIT_TAX_CODE_MISMATCH: Message(
        "Mã số thuế {value} khác với mã số thuế {expected} của nút tổ chức.",
        "The tax code {value} differs from the organisation node's tax code {expected}.",
    ),
    ErrorCode.UNIT_NODE_TAKEN: Message(
        "Nút tổ chức `{value}` đã được khai báo là một đơn vị.",
        "The organisation node `{value}` is already declared as a unit.",
    ),
    ErrorCode.UNIT_NOT_FOUND: Message(
        "Không tìm thấy đơn vị.",
        "The unit was not found.",
    ),
    ErrorCode.CERT_EXPIRED: Message(
        "Chứng thư số đã hết hạn (hiệu lực {not_before} đến {not_after}); hãy gia hạn hoặc dùng "
        "chứng thư số khác.",
        "The certificate has expired (valid {not_before} to {not_after}); renew it or use "
        "another one.",
    ),
    ErrorCode.CERT_NOT_YET_VALID: Message(
        "Chứng thư số chưa đến ngày hiệu lực ({not_before}).",
        "The certificate is not valid yet (from {not_before}).",
    ),
    ErrorCode.CERT_UNTRUSTED: Message(
        "Chứng thư số không do tổ chức chứng thực được tin cậy cấp (nơi cấp: {issuer}).",
        "The certificate does not chain to a trusted certification authority (issuer: {issuer}).",
    ),
    ErrorCode.CERT_KEY_USAGE: Message(
        "Chứng thư số không được phép dùng để ký số (thiếu digitalSignature/nonRepudiation).",
        "The certificate may not be used for signing (no digitalSignature/nonRepudiation).",
    ),
    ErrorCode.CERT_REVOKED: Message(
        "Chứng thư số đã bị thu hồi.",
        "The certificate has been revoked.",
    ),
    ErrorCode.CERT_TAX_CODE_MISMATCH: Message(
        "Chứng thư số không mang mã số thuế {value} của đơn vị (tìm thấy: {found}); hãy chọn "
        "chứng thư số của chính đơn vị.",
        "The certificate does not carry the unit's tax code {value} (found: {found}); choose "
        "the unit's own certificate.",
    ),
    ErrorCode.CERT_PERSONAL: Message(
        "Đây là chứng thư số cá nhân (mang số CCCD/CMND), không phải của đơn vị có mã số thuế "
        "{value}; hồ sơ của đơn vị phải ký bằng chứng thư số của tổ chức.",
        "This is a personal certificate (it carries a citizen id), not one of the unit with tax "
        "code {value}; a unit's dossiers are signed with the organisation's certificate.",
    ),
    ErrorCode.CERT_NOT_OFFERED: Message(
        "Chứng thư số đã chọn không có trong thiết bị ký.",
        "The chosen certificate is not offered by the signing device.",
    ),
    ErrorCode.SIGNER_TYPE_UNKNOWN: Message(
        "Không có loại chữ ký số `{value}` nào được cài đặt.",
        "No signer type `{value}` is installed.",
    ),
    ErrorCode.SIGNER_SETTINGS: Message(
        "Thiếu hoặc sai thiết lập chữ ký số: {reason}.",
        "The signer settings are missing or wrong: {reason}.",
    ),
    ErrorCode.SIGNER_UNAVAILABLE: Message(
        "Không kết nối được thiết bị ký số: {reason}.",
        "The signing device cannot be reached: {reason}.",
    ),
    ErrorCode.SIGNATURE_SETUP_MISSING: Message(
        "Đơn vị chưa thiết lập chữ ký số.",
        "The unit has no digital signature set up.",
    ),
    ErrorCode.SIGNATURE_VALUE_INVALID: Message(
        "Giá trị chữ ký không khớp với chứng thư số đã đăng ký; tài liệu không được ký.",
        "The signature value does not verify with the registered certificate; nothing was signed.",
    ),
    ErrorCode.DOCUMENT_TAMPERED: Message(
        "Tài liệu đã bị thay đổi sau khi ký.",
        "The document was changed after it was signed.",
    ),
    ErrorCode.DOCUMENT_NOT_COVERED: Message(
        "Chữ ký không bao phủ toàn bộ tài liệu.",
        "The signature does not cover the whole document.",
    ),
    ErrorCode.DOCUMENT_UNSIGNED: Message(
        "Tài liệu không có chữ ký số.",
        "The document carries no signature.",
    ),
    ErrorCode.XML_MISMATCH: Message(
        "Tờ khai XML đính kèm không khớp với hồ sơ.",
        "The embedded XML declaration does not match the dossier.",
    ),
    ErrorCode.HSM_TOKEN_MISSING: Message(
        "Không tìm thấy token `{value}` trong HSM.",
        "No token `{value}` was found in the HSM.",
    ),
    ErrorCode.HSM_KEY_MISSING: Message(
        "Không tìm thấy khóa bí mật ứng với chứng thư số trong token.",
        "No private key matching the certificate was found in the token.",
    ),
    ErrorCode.HSM_PIN_INCORRECT: Message(
        "Mã PIN của token không đúng.",
        "The token's PIN is incorrect.",
    ),
    ErrorCode.HSM_PIN_LOCKED: Message(
        "Token đã bị khóa do nhập sai mã PIN nhiều lần; liên hệ quản trị HSM để mở khóa.",
        "The token is locked after repeated wrong PINs; ask the HSM administrator to unlock it.",
    ),
    ErrorCode.SIGNING_REQUEST_NOT_FOUND: Message(
        "Không tìm thấy yêu cầu ký.",
        "The signing request was not found.",
    ),
    ErrorCode.SIGNING_REQUEST_STATE: Message(
        "Yêu cầu ký đang ở trạng thái {state}; không thể thực hiện thao tác này.",
        "The signing request is {state}; this cannot be done now.",
    ),
    ErrorCode.SECRETS_KEY_MISSING: Message(
        "Máy chủ chưa cấu hình khóa mã hóa bí mật (EBHXH_SECRET_KEYS).",
        "The server has no secrets key configured (EBHXH_SECRET_KEYS).",
    ),
    ErrorCode.DOSSIER_NOT_FOUND: Message(
        "Không tìm thấy hồ sơ.",
        "The dossier was not found.",
    ),
    ErrorCode.DOSSIER_STATE: Message(
        "Hồ sơ đang ở trạng thái {state}; không thể chuyển sang {target}.",
        "The dossier is {state}; it cannot move to {target}.",
    ),
    ErrorCode.DOSSIER_KIND_NOT_ALLOWED: Message(
        "Không thể tạo hồ sơ {value} cho đơn vị này: {reason}.",
        "A {value} dossier cannot be made for this unit: {reason}.",
    ),
    ErrorCode.ACTIVATION_CODE_WRONG: Message(
        "Mã kích hoạt không đúng: {reason}",
        "The activation code is wrong: {reason}",
    ),
    ErrorCode.ACTIVATION_CODE_EXPIRED: Message(
        "Mã kích hoạt đã hết hạn (hiệu lực 24 giờ); hãy yêu cầu mã mới.",
        "The activation code has expired (it lasts 24 hours); ask for a new one.",
    ),
    ErrorCode.ACTIVATION_LOCKED: Message(
        "Đã nhập sai mã kích hoạt 5 lần; mã bị khóa, hãy yêu cầu mã mới.",
        "Five wrong activation codes: the code is locked; ask for a new one.",
    ),
    ErrorCode.VSS_REFUSED: Message(
        "Cơ quan BHXH từ chối: {reason}",
        "VSS refused: {reason}",
    ),
    ErrorCode.VSS_UNAVAILABLE: Message(
        "Cổng BHXH không phản hồi; hồ sơ được giữ lại và sẽ gửi lại tự động.",
        "The VSS gateway is not answering; the dossier is kept and will be sent again.",
    ),
    ErrorCode.PAPER_ROUTE_NOT_NEEDED: Message(
        "Đơn vị này không cần hồ sơ giấy: {reason}.",
        "This unit needs no paper dossier: {reason}.",
    ),
    ErrorCode.PAPER_DOSSIER_NOT_FOUND: Message(
        "Đơn vị chưa có hồ sơ giấy; hãy chuẩn bị hồ sơ trước.",
        "The unit has no paper dossier yet; prepare it first.",
    ),
    ErrorCode.PAPER_DOSSIER_STATE: Message(
        "Hồ sơ giấy đang ở trạng thái {state}; không thể chuyển sang {target}.",
        "The paper dossier is {state}; it cannot move to {target}.",
    ),
    ErrorCode.PAPER_SENT_DATE: Message(
        "Ngày gửi phải từ {earliest} đến {latest}.",
        "The sending date must be between {earliest} and {latest}.",
    ),
    ErrorCode.PAPER_TRACKING_WITHOUT_POST: Message(
        "Mã bưu gửi chỉ dùng khi gửi qua bưu điện.",
        "A postal tracking number goes only with sending by post.",
    ),
    ErrorCode.UNIT_CODE_NOT_AT_VSS: Message(
        "Cơ quan BHXH không ghi nhận mã đơn vị {value} cho mã số thuế {tax_code}; kiểm tra "
        "lại mã trên thông báo.",
        "VSS does not list unit code {value} for tax code {tax_code}; check the code on the "
        "notice.",
    ),
    ErrorCode.SWITCH_NOT_FOUND: Message(
        "Không tìm thấy yêu cầu chuyển đổi nhà cung cấp.",
        "Provider switch not found.",
    ),
    ErrorCode.SWITCH_STATE: Message(
        "Chuyển đổi nhà cung cấp đang ở trạng thái {state}; không thể chuyển sang {target}.",
        "The provider switch is {state}; it cannot move to {target}.",
    ),
    ErrorCode.PROVIDER_STILL_ACTIVE: Message(
        "Cổng BHXH vẫn ghi nhận đơn vị đăng ký với {provider}: {reason}",
        "VSS still lists the unit with {provider}: {reason}",
    ),
    # employees and their sync from VSS
    ErrorCode.EMPLOYEE_SYNC_NOT_READY: Message(
        "Đơn vị chưa thể đồng bộ lao động từ BHXH: {reason}.",
        "The unit cannot sync its employees from VSS yet: {reason}.",
    ),
    ErrorCode.EMPLOYEE_SYNC_RUNNING: Message(
        "Đơn vị đang có một lượt đồng bộ lao động chưa xong ({sync_id}); hãy theo dõi lượt đó.",
        "A sync of the unit's employees is already running ({sync_id}); follow that one.",
    ),
    ErrorCode.EMPLOYEE_SYNC_NOT_FOUND: Message(
        "Không tìm thấy lượt đồng bộ lao động.",
        "No such employee sync.",
    ),
    ErrorCode.EMPLOYEE_NOT_FOUND: Message(
        "Không tìm thấy người lao động.",
        "No such employee.",
    ),
    ErrorCode.EMPLOYEE_CURSOR_INVALID: Message(
        "Con trỏ trang `cursor` không hợp lệ; hãy dùng giá trị `next_cursor` của trang trước.",
        "The `cursor` is not valid; pass the `next_cursor` of the previous page.",
    ),
    # deferred and remote signing (the settlement seam, the CSC signer type)
    ErrorCode.SIGNING_REQUEST_EXPIRED: Message(
        "Yêu cầu ký đã hết hạn mà chưa nhận được chữ ký; hãy ký lại hồ sơ.",
        "The signing request expired before the signature arrived; sign the dossier again.",
    ),
    ErrorCode.CSC_SERVICE_UNAVAILABLE: Message(
        "Dịch vụ ký số từ xa không phản hồi hoặc báo lỗi sau nhiều lần thử: {reason}.",
        "The remote signing service did not answer or kept failing after retries: {reason}.",
    ),
    ErrorCode.CSC_AUTH_FAILED: Message(
        "Dịch vụ ký số từ xa từ chối thông tin đăng nhập (client id, mật khẩu): {reason}.",
        "The remote signing service refused the credentials (client id, secret): {reason}.",
    ),
    ErrorCode.CSC_CREDENTIAL_MISSING: Message(
        "Dịch vụ ký số từ xa không còn chứng thư số đã đăng ký cho người ký này.",
        "The remote signing service no longer offers the registered certificate for this signer.",
    ),
    ErrorCode.CSC_APPROVAL_REFUSED: Message(
        "Người ký đã từ chối yêu cầu ký trên ứng dụng ký số.",
        "The signer refused the signing request in the e-signature app.",
    ),
    ErrorCode.CSC_APPROVAL_EXPIRED: Message(
        "Yêu cầu ký không được phê duyệt trên ứng dụng ký số trước khi hết hạn.",
        "The signing request was not approved in the e-signature app before it expired.",
    ),
    ErrorCode.CSC_SAD_EXPIRED: Message(
        "Phê duyệt ký số (SAD) đã hết hạn trước khi ký; hãy ký lại và phê duyệt lại.",
        "The signing approval (SAD) expired before the signature was made; sign and approve again.",
    ),
    ErrorCode.CSC_HASH_MISMATCH: Message(
        "Dịch vụ ký số từ xa báo phê duyệt không khớp với tài liệu cần ký; không có gì được ký.",
        "The remote signing service says the approval does not match the document; nothing "
        "was signed.",
    ),
    ErrorCode.CSC_SIGNATURES_EXHAUSTED: Message(
        "Chứng thư số trên dịch vụ ký từ xa không cho phép thêm chữ ký với phê duyệt này.",
        "The remote credential allows no more signatures under this approval.",
    ),
    # paired devices and the USB-token bridge agent
    ErrorCode.PAIRING_CODE_INVALID: Message(
        "Mã ghép nối không đúng, đã dùng hoặc đã hết hạn; hãy lấy mã mới trên nền tảng.",
        "The pairing code is wrong, used or expired; ask the platform for a new one.",
    ),
    ErrorCode.DEVICE_CREDENTIAL_INVALID: Message(
        "Thiết bị chưa được ghép nối hoặc đã bị thu hồi; hãy ghép nối lại (`ebhxh-bridge pair`).",
        "The device is not paired or was revoked; pair it again (`ebhxh-bridge pair`).",
    ),
    ErrorCode.DEVICE_NOT_FOUND: Message(
        "Không tìm thấy thiết bị.",
        "The device was not found.",
    ),
    ErrorCode.DEVICE_NOT_YOURS: Message(
        "Thiết bị này thuộc về người dùng khác; chỉ chủ thiết bị hoặc quản trị viên được "
        "làm việc này.",
        "This device belongs to another user; only its owner or an admin may do this.",
    ),
    ErrorCode.BRIDGE_REQUEST_NOT_FOUND: Message(
        "Không có yêu cầu ký này cho thiết bị.",
        "There is no such signing request for this device.",
    ),
    ErrorCode.USB_TOKEN_MISSING: Message(
        "Không tìm thấy token USB `{value}` trên máy tính; hãy cắm token rồi ký lại.",
        "The USB token `{value}` is not on the PC; plug it in and sign again.",
    ),
    ErrorCode.USB_KEY_MISSING: Message(
        "Token USB không có khóa bí mật của chứng thư số đã đăng ký.",
        "The USB token holds no private key for the registered certificate.",
    ),
    ErrorCode.USB_PIN_INCORRECT: Message(
        "Mã PIN của token USB không đúng.",
        "The USB token's PIN is incorrect.",
    ),
    ErrorCode.USB_PIN_LOCKED: Message(
        "Token USB báo đã khóa (hoặc sắp khóa) mã PIN; liên hệ nhà cung cấp chứng thư số để "
        "mở khóa.",
        "The USB token reports its PIN locked (or one try from locking); ask the certificate's "
        "provider to unlock it.",
    ),
    ErrorCode.USB_PIN_GUARD: Message(
        "Đã nhập sai mã PIN {value} lần: chương trình ký ngừng hỏi PIN để token không bị khóa; "
        "khởi động lại chương trình khi đã có mã PIN đúng.",
        "{value} wrong PINs: the agent stopped asking so that the token does not lock; restart "
        "it once you have the right PIN.",
    ),
    ErrorCode.USB_TOKEN_ERROR: Message(
        "Token USB báo lỗi: {reason}.",
        "The USB token reported an error: {reason}.",
    ),
    ErrorCode.USB_SIGNING_DECLINED: Message(
        "Người dùng đã từ chối ký trên máy tính.",
        "The user declined to sign on the PC.",
    ),
    ErrorCode.CERT_CHANGED_ON_TOKEN: Message(
        "Token USB không còn chứng thư số đã đăng ký (số sê-ri {value}) nhưng có chứng thư số mới "
        "của cùng mã số thuế (số sê-ri {new}): token đã được gia hạn hoặc thay. Hãy thiết lập chữ "
        "ký với chứng thư số mới rồi nộp hồ sơ thay đổi thông tin đăng ký giao dịch điện tử.",
        "The USB token no longer holds the registered certificate (serial {value}) but holds a "
        "new one of the same tax code (serial {new}): the token was renewed or replaced. Set the "
        "signature up with the new certificate, then file the change-of-registration dossier.",
    ),
    ErrorCode.SSO_TENANT_UNKNOWN: Message(
        "Không tìm thấy công ty để đăng nhập bằng SSO (mã `{value}`).",
        "No company to sign in to with SSO was found (`{value}`).",
    ),
    ErrorCode.SSO_NOT_CONFIGURED: Message(
        "Công ty này chưa cấu hình đăng nhập một lần (SSO).",
        "This company has not configured single sign-on (SSO).",
    ),
    ErrorCode.SSO_LOGIN_INPUT: Message(
        "Hãy cho biết mã công ty (`tenant`) hoặc địa chỉ email (`email`) để đăng nhập.",
        "Give the company's slug (`tenant`) or your email address (`email`) to sign in.",
    ),
    ErrorCode.SSO_STATE_INVALID: Message(
        "Phiên đăng nhập không hợp lệ hoặc đã hết hạn; vui lòng đăng nhập lại.",
        "The sign-in attempt is invalid or has expired; please sign in again.",
    ),
    ErrorCode.SSO_IDP_ERROR: Message(
        "Nhà cung cấp danh tính từ chối đăng nhập: {reason}.",
        "The identity provider refused the sign-in: {reason}.",
    ),
    ErrorCode.SSO_IDP_UNAVAILABLE: Message(
        "Không liên lạc được với nhà cung cấp danh tính của công ty; vui lòng thử lại sau.",
        "The company's identity provider cannot be reached; please try again later.",
    ),
    ErrorCode.SSO_ID_TOKEN_INVALID: Message(
        "Mã định danh (ID token) từ nhà cung cấp danh tính không hợp lệ: {reason}.",
        "The ID token from the identity provider is not valid: {reason}.",
    ),
    ErrorCode.SSO_NO_ROLE: Message(
        "Tài khoản của bạn chưa được cấp quyền nào trong công ty này; hãy liên hệ quản trị viên.",
        "Your account has no role in this company; please contact your administrator.",
    ),
    ErrorCode.SSO_EMAIL_MISSING: Message(
        "Nhà cung cấp danh tính không gửi địa chỉ email của bạn.",
        "The identity provider did not send your email address.",
    ),
    ErrorCode.SSO_EMAIL_TAKEN: Message(
        "Địa chỉ email này đã thuộc về một tài khoản khác; hãy liên hệ quản trị viên.",
        "This email address already belongs to another account; contact your administrator.",
    ),
    ErrorCode.SSO_EMAIL_DOMAIN_TAKEN: Message(
        "Tên miền email `{value}` đã được công ty khác sử dụng cho SSO.",
        "The email domain `{value}` is already used for SSO by another company.",
    ),
    ErrorCode.SSO_SESSION_STORE_UNAVAILABLE: Message(
        "Không lưu được phiên đăng nhập lúc này; vui lòng thử lại sau.",
        "The sign-in cannot be recorded right now; please try again later.",
    ),
    ErrorCode.IDENTITY_PROVIDER_NOT_FOUND: Message(
        "Công ty chưa cấu hình nhà cung cấp danh tính.",
        "The company has no identity provider configured.",
    ),
    ErrorCode.TENANT_NOT_FOUND: Message(
        "Không tìm thấy khách hàng `{value}`.",
        "There is no tenant `{value}`.",
    ),
    ErrorCode.SUPPORT_GRANT_NOT_FOUND: Message(
        "Không tìm thấy quyền hỗ trợ này.",
        "The support grant was not found.",
    ),
    ErrorCode.SUPPORT_GRANT_NO_CREDENTIALS: Message(
        "Quyền hỗ trợ không được tạo thông tin đăng nhập lâu dài (mã ghép nối, token).",
        "A support grant cannot create lasting credentials (pairing codes, tokens).",
    ),
    ErrorCode.SIGNER_TYPE_NOT_ENABLED: Message(
        "Loại chữ ký `{value}` chưa được bật cho khách hàng này.",
        "The signer type `{value}` is not enabled for this tenant.",
    ),
    ErrorCode.NOT_AUTHENTICATED: Message(
        "Cần đăng nhập hoặc token API hợp lệ.",
        "Sign in or send a valid API token.",
    ),
    ErrorCode.FORBIDDEN: Message(
        "Bạn không có quyền thực hiện thao tác này.",
        "You are not allowed to do this.",
    ),
    ErrorCode.NOT_FOUND: Message(
        "Không tìm thấy.",
        "Not found.",
    ),
    ErrorCode.METHOD_NOT_ALLOWED: Message(
        "Phương thức không được hỗ trợ cho địa chỉ này.",
        "This method is not allowed here.",
    ),
    ErrorCode.CONFLICT: Message(
        "Dữ liệu vừa được thay đổi đồng thời; vui lòng thử lại.",
        "The data changed at the same time; please try again.",
    ),
    ErrorCode.PAYLOAD_TOO_LARGE: Message(
        "Nội dung yêu cầu quá lớn.",
        "The request body is too large.",
    ),
    ErrorCode.RATE_LIMITED: Message(
        "Quá nhiều yêu cầu từ máy của bạn; hãy thử lại sau {retry_after} giây.",
        "Too many requests from your address; try again in {retry_after} seconds.",
    ),
    ErrorCode.SERVICE_UNAVAILABLE: Message(
        "Dịch vụ tạm thời không sẵn sàng; vui lòng thử lại sau.",
        "The service is temporarily unavailable; please try again later.",
    ),
    ErrorCode.DATABASE_UNAVAILABLE: Message(
        "Cơ sở dữ liệu tạm thời không phản hồi; không có thay đổi nào được ghi. Vui lòng thử "
        "lại sau {retry_after} giây.",
        "The database is not answering for the moment; nothing was changed. Please try again "
        "in {retry_after} seconds.",
    ),
    ErrorCode.INTERNAL_ERROR: Message(
        "Đã xảy ra lỗi hệ thống; mã yêu cầu {request_id}.",
        "An internal error occurred; request id {request_id}.",
    ),
}


class _KeepMissing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(code: ErrorCode, language: Language, params: Mapping[str, object]) -> str:
    """The message of `code` in `language`, with `params` filled in."""
    template: str = MESSAGES[code].vi if language == "vi" else MESSAGES[code].en
    return template.format_map(_KeepMissing(params))


def negotiate(accept_language: str | None) -> Language:
    """Pick "vi" or "en" from an Accept-Language header (q-values honoured; default "vi")."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in ("vi", "en"):
            return "vi" if primary == "vi" else "en"
    return DEFAULT_LANGUAGE
