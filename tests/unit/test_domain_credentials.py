"""Channel credentials: the shape each one must have before it is stored."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from domain import credentials

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def private_pem(key=RSA_KEY, key_format=serialization.PrivateFormat.PKCS8):
    return key.private_bytes(serialization.Encoding.PEM, key_format, serialization.NoEncryption()).decode()


def public_pem(key=RSA_KEY, key_format=serialization.PublicFormat.SubjectPublicKeyInfo):
    return key.public_key().public_bytes(serialization.Encoding.PEM, key_format).decode()


def bare(pem_text):
    return "\n".join(line for line in pem_text.strip().splitlines() if not line.startswith("-----"))


@pytest.mark.parametrize("value", [
    private_pem(), private_pem(key_format=serialization.PrivateFormat.TraditionalOpenSSL),
    bare(private_pem()), bare(private_pem(key_format=serialization.PrivateFormat.TraditionalOpenSSL)),
    bare(private_pem()).replace("\n", ""),
], ids=["pkcs8 pem", "pkcs1 pem", "pkcs8 bare", "pkcs1 bare", "one line"])
def test_is_an_rsa_private_key_accepted_with_or_without_its_header_lines(value):
    assert credentials.problem("alipay_private_key", value) is None


@pytest.mark.parametrize("value, reason", [
    ("not-a-key", "无法解析"), ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "无法解析"), (public_pem(), "无法解析"),
    (private_pem(EC_KEY), "须为 RSA 私钥"),
], ids=["words", "truncated", "a public key", "an EC key"])
def test_is_anything_but_an_rsa_private_key_refused_with_the_reason(value, reason):
    assert reason in credentials.problem("alipay_private_key", value)


@pytest.mark.parametrize("value", [
    public_pem(), public_pem(key_format=serialization.PublicFormat.PKCS1), bare(public_pem()),
    bare(public_pem(key_format=serialization.PublicFormat.PKCS1)),
], ids=["x509 pem", "pkcs1 pem", "x509 bare", "pkcs1 bare"])
def test_is_an_rsa_public_key_accepted_with_or_without_its_header_lines(value):
    assert credentials.problem("alipay_public_key", value) is None


@pytest.mark.parametrize("value", ["PUBKEY", private_pem(), public_pem(EC_KEY)],
                         ids=["words", "a private key", "an EC key"])  # same names in every test process
def test_is_anything_but_an_rsa_public_key_refused(value):
    assert "支付宝公钥" in credentials.problem("alipay_public_key", value)


@pytest.mark.parametrize("field, good, bad", [
    ("wechat_app_id", "wx0123456789abcdef", ["wx0123456789abcde", "wx0123456789abcdeg", "wxbackoffice0001",
                                             "0123456789abcdef01", "wx0123456789ABCDEF"]),
    ("alipay_app_id", "2021000000000001", ["2021001", "20210000000000011", "2021-00000000001"]),
    ("wechat_pay_mch_id", "1900000109", ["1234567", "1234567890123", "19000001O9"]),
    ("wechat_pay_api_key", "a" * 16 + "B" * 8 + "01234567", ["a" * 31, "a" * 33, "a" * 31 + "-"]),
    ("wechat_app_secret", "0123456789abcdef" * 2, ["0123456789abcdef", "0123456789abcdef" * 2 + "0"]),
    ("wechat_token", "tok", ["to", "t" * 33, "tok_en", "有中文"]),
    ("wechat_aes_key", "a" * 42 + "A", ["a" * 42, "!" * 43, "a" * 42 + "A,short"]),
    ("wechat_message_mode", "safe", ["secure", "SAFE"]),
])
def test_does_each_credential_have_its_channels_shape(field, good, bad):
    assert credentials.problem(field, good) is None
    for value in bad:
        assert credentials.problem(field, value), value


def test_is_a_wechat_pay_api_key_exactly_32_letters_or_digits():
    assert credentials.problem("wechat_pay_api_key", "x" * 32) is None


def test_does_a_rotating_pair_of_aes_keys_pass_when_both_are_valid():
    assert credentials.problem("wechat_aes_key", f"{'a' * 42}A,{'b' * 42}B") is None


def test_is_a_blank_value_no_problem_and_problems_names_only_the_bad_fields():
    assert credentials.problem("alipay_private_key", "") is None and credentials.problem("wechat_token", None) is None
    found = credentials.problems({"alipay_app_id": "2021000000000001", "alipay_private_key": "not-a-key",
                                  "wechat_pay_mch_id": "12"})
    assert set(found) == {"alipay_private_key", "wechat_pay_mch_id"}


@pytest.mark.parametrize("mode, keys, refused", [
    ("safe", [], True), ("compatible", [], True), ("plain", [], False), ("safe", ["a" * 42 + "A"], False)])
def test_do_safe_and_compatible_mode_need_an_aes_key(mode, keys, refused):
    assert bool(credentials.mode_problem(mode, keys)) is refused
