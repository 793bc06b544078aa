# Le fournisseur OpenID Connect : erreurs des demandes, page de consentement, déconnexion, et
# pages du personnel qui gèrent les clients.

oidc-error-title = Cette demande de connexion ne peut pas aboutir
oidc-error-detail = Détail technique :
oidc-error-advice = Revenez au service d’où vous venez et réessayez. Si cela se reproduit, signalez-le à ce service.
oidc-error-word = Erreur :
oidc-error-summary = Il y a un problème
oidc-error-bad-request = La demande du service est mal formée.
oidc-error-no-client = La demande n’indique pas de quel service elle provient.
oidc-error-unknown-client = Le service qui vous a envoyé ici n’est pas enregistré auprès de ce fournisseur d’identité.
oidc-error-no-redirect-uri = La demande n’indique pas où vous renvoyer.
oidc-error-redirect-uri = La demande veut vous renvoyer à une adresse que le service n’a pas enregistrée : elle n’est donc pas suivie.
oidc-error-pushed = La demande préparée a expiré ou a déjà servi.
oidc-error-expired = Cette demande de connexion a expiré ou a déjà reçu une réponse.
oidc-error-logout = La demande de déconnexion du service n’est pas valide.
oidc-error-post-logout-uri = La demande de déconnexion veut vous envoyer à une adresse que le service n’a pas enregistrée : elle n’est donc pas suivie.
oidc-error-other-browser = Cette demande de connexion a été commencée dans un autre navigateur (ou les cookies de ce navigateur ont été effacés). Pour votre sécurité, elle ne peut être terminée que là où elle a commencé : retournez sur le service et recommencez ici.
oidc-error-logout-expired = Cette demande de déconnexion a expiré. Retournez sur le service et déconnectez-vous à nouveau.

oidc-consent-title = Partager vos informations avec { $client } ?
oidc-consent-lead = { $client }, service de { $organisation }, demande à savoir qui vous êtes.
oidc-consent-nothing = Il saura seulement que vous vous êtes connecté, avec un identifiant différent pour chaque service.
oidc-consent-items = Il recevra :
oidc-consent-verified = Vos données d’identité proviennent du registre de la population, telles que vérifiées lors de la preuve de votre identité.
oidc-consent-remembered = Votre réponse est retenue pour ce service. Vous pouvez la retirer à tout moment depuis la page de votre compte.
oidc-consent-approve = Autoriser
oidc-consent-deny = Ne pas autoriser

oidc-claim-name = votre nom
oidc-claim-legal-name = vos prénoms et votre nom de famille selon le registre
oidc-claim-birthdate = votre date de naissance
oidc-claim-email = votre adresse électronique
oidc-claim-phone = votre numéro de téléphone
oidc-claim-address = votre adresse
oidc-claim-national-id = votre numéro d’identification national
oidc-claim-offline-access = l’accès à ces informations quand vous n’êtes pas connecté, jusqu’à ce que vous le retiriez

oidc-logout-title = Se déconnecter ?
oidc-logout-lead = Voulez-vous vous déconnecter de votre compte Publica dans ce navigateur ?
oidc-logout-lead-client = { $client } demande à vous déconnecter de votre compte Publica dans ce navigateur.
oidc-logout-confirm = Se déconnecter
oidc-logout-stay = Rester connecté
oidc-logout-done-title = Vous êtes déconnecté
oidc-logout-done = Vous êtes déconnecté de votre compte Publica dans ce navigateur. Les services avec lesquels vous l’avez utilisé en ont été informés.

oidc-clients-lead = Les services qui connectent les personnes avec Publica. Chacun a des adresses de retour comparées exactement, et un secret ou des clés pour prouver qui il est.
oidc-clients-register = Enregistrer un service
oidc-clients-none = Aucun service n’est encore enregistré.
oidc-clients-caption = Services enregistrés
oidc-clients-edit = Modifier { $name }
oidc-clients-edit-title = Service { $client_id }
oidc-clients-done-updated = Les réglages du service sont enregistrés.
oidc-clients-done-deleted = Le service est supprimé, avec tous les jetons qui lui ont été délivrés.
oidc-clients-save = Enregistrer
oidc-clients-secret-title = Secret
oidc-clients-rotate-hint = Un nouveau secret remplace aussitôt l’actuel : le service doit être mis à jour avec lui.
oidc-clients-rotate = Créer un nouveau secret
oidc-clients-delete-title = Supprimer
oidc-clients-delete-hint = Plus personne ne pourra se connecter à ce service ; ses jetons cessent de fonctionner.
oidc-clients-delete = Supprimer ce service
oidc-clients-registered = { $name } est enregistré
oidc-clients-rotated = Nouveau secret pour { $name }
oidc-clients-secret-once = Copiez le secret maintenant : il n’est affiché que cette fois et ne pourra plus l’être.
oidc-clients-error-jwks = Les clés ne sont pas du JSON : collez un ensemble JWK comme {"{"}"keys": [ … ]{"}"}.

oidc-field-name = Nom
oidc-field-name-hint = Affiché aux personnes sur la page de consentement.
oidc-field-client-id = Identifiant client
oidc-field-client-secret = Secret client
oidc-field-auth-method = Authentification au point de jeton
oidc-field-auth-method-hint = client_secret_basic ou client_secret_post utilisent un secret ; private_key_jwt utilise les clés ci-dessous ; none est pour les applications publiques, qui doivent utiliser PKCE.
oidc-field-redirect-uris = Adresses de retour
oidc-field-redirect-uris-hint = Une par ligne, comparées caractère par caractère : https, ou http sur localhost ou 127.0.0.1.
oidc-field-post-logout = Adresses après déconnexion
oidc-field-post-logout-hint = Une par ligne ; où le service peut envoyer les personnes après les avoir déconnectées.
oidc-field-backchannel = Adresse de déconnexion en arrière-plan
oidc-field-backchannel-hint = Facultatif : Publica y envoie un jeton de déconnexion quand une session se termine.
oidc-field-jwks = Clés publiques (ensemble JWK)
oidc-field-jwks-hint = Pour private_key_jwt et les requêtes signées : RSA de 2048 bits ou plus, ou P-256.
oidc-field-id-token-alg = Signature du jeton d’identité
oidc-field-id-token-alg-hint = RS256 est accepté par toutes les bibliothèques clientes.
oidc-field-userinfo-alg = Réponse userinfo
oidc-field-userinfo-alg-hint = JSON simple, ou un JWT signé.
oidc-field-userinfo-plain = JSON simple
oidc-field-subject-type = Identifiant des personnes
oidc-field-subject-type-hint = Les identifiants par paire diffèrent d’un service à l’autre, pour que les services ne puissent pas relier leurs utilisateurs.
oidc-subject-pairwise = Par paire (différent pour chaque service)
oidc-subject-public = Public (l’identifiant du compte)
oidc-field-scopes = Ce que le service peut demander
oidc-field-scopes-hint = openid est toujours permis. Les données d’identité du registre ne sont communiquées que pour les identités vérifiées.
oidc-field-offline = Jetons de rafraîchissement (accès hors ligne)
oidc-field-grant-types = Autorisations
oidc-field-grant-types-hint = client_credentials est pour les services confidentiels qui appellent pour eux-mêmes.
oidc-field-resources = Serveurs de ressources
oidc-field-resources-hint = Facultatif, une adresse par ligne : les API que ce service peut désigner (ressource RFC 8707) comme destinataires de ses jetons d’accès.
oidc-field-default-acr = Niveau de garantie par défaut
oidc-field-default-acr-hint = Demandé chaque fois que les requêtes du service demandent moins.
oidc-field-default-acr-none = Aucun
oidc-field-simulate = Simulateur
oidc-field-simulate-hint = Pour les essais seulement : les jetons d’identité du service sont volontairement faussés ainsi, pour vérifier qu’il les refuse.
oidc-field-org = Organisation
oidc-field-org-hint = L’organisation dont le personnel gère ce service.
oidc-field-actions = Actions

oidc-simulate-none = Désactivé (jetons valides)
oidc-simulate-wrong_issuer = Mauvais émetteur
oidc-simulate-wrong_audience = Mauvaise audience
oidc-simulate-bad_signature = Mauvaise signature
oidc-simulate-expired = Expiré
oidc-simulate-wrong_nonce = Mauvais nonce
oidc-simulate-wrong_level = Mauvais niveau de garantie

# Le journal d’activité de la page du compte (types enregistrés par le fournisseur).
acc-activity-oidc-sign-in = Connexion à un service
acc-activity-oidc-consent = Informations partagées avec un service
acc-activity-oidc-consent-refused = Partage avec un service refusé
acc-activity-oidc-consent-revoked = Partage avec un service retiré
