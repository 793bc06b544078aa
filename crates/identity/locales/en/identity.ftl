identity-title = Identity
identity-clients-title = Sign-in clients
