"""Sign-in with the office's directory: OpenID Connect and LDAP, groups mapped to lanes and roles.

Public surface (the web layer and the CLI use only these):

- :mod:`.mapping`: :func:`load_mapping` (the ``IDENTITY_MAPPING_FILE``, validated at start),
  :class:`IdentityMapping`, :class:`Grant`, :class:`MappingError`;
- :mod:`.provisioning`: :class:`DirectoryIdentity`, :func:`apply_identity` (create, update or
  retire an account at sign-in), :class:`ProvisionResult`, :data:`REFUSALS`;
- :mod:`.ldap_directory`: :class:`LdapDirectory` (``authenticate``, ``find``, ``all_users``),
  :class:`DirectoryUnavailable`;
- :mod:`.oidc`: :class:`OidcClient` (``begin``, ``finish``, ``validate_id_token``,
  ``identity``, ``logout_url``), :class:`OidcError`;
- :mod:`.sync`: :func:`sync_directory` (``sopflow users sync``), :class:`SyncReport`;
- :mod:`.events`: the identity audit chain ``_identitas`` and :func:`record_identity_event`.

The subpackage never imports Flask: the web layer keeps the OIDC ``state``, ``nonce`` and
code verifier in the user's session and passes them in. The submodules are imported where
used (ldap3 and the JOSE library load only when a directory is configured).
"""
