identity-title = Identité
identity-clients-title = Clients de connexion
