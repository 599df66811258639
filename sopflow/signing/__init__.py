"""Electronic signatures of generated documents (PAdES with pyHanko).

Public surface:

- :class:`signer.Signer` (protocol), :class:`signer.Pkcs12Signer`, :class:`signer.SignerInfo`;
- :class:`commands.SigningCommands` (engine mixin) with :class:`commands.RegisterCertificate`
  and :class:`commands.SignTask`;
- :func:`verify.check_signed_events` and :func:`verify.verify_pdf` (``sopflow audit verify``,
  the offline evidence bundle);
- :mod:`test_ca`: a throw-away CA for the demo and the tests ("SERTIFIKAT UJI").
"""

from sopflow.signing.commands import RegisterCertificate, SigningCommands, SignTask
from sopflow.signing.signer import Pkcs12Signer, Signer, SignerInfo

__all__ = ["Pkcs12Signer", "RegisterCertificate", "SignTask", "Signer", "SignerInfo", "SigningCommands"]
