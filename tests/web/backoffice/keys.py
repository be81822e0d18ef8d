"""RSA keys for credential forms, made once per test run (a 2048-bit key takes a moment)."""
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@lru_cache(maxsize=4)
def _key(which):
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rsa_private_pem(which="app", pkcs1=False):
    key_format = serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8
    return _key(which).private_bytes(serialization.Encoding.PEM, key_format,
                                     serialization.NoEncryption()).decode()


def rsa_public_pem(which="alipay"):
    return _key(which).public_key().public_bytes(serialization.Encoding.PEM,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def bare(pem_text):
    """The base64 body without its header lines, as the Alipay console hands keys out."""
    return "".join(line for line in pem_text.strip().splitlines() if not line.startswith("-----"))
