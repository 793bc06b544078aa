exchange-title = Échange de données

## L'aperçu d'une demande de pièces justificatives par la personne concernée
exchange-evidence-title = Partager vos données ?
exchange-evidence-lead = { $requester } demande des données vous concernant. Cette page indique qui les demande, pourquoi, et ce qui serait transmis.
exchange-evidence-who = Qui demande
exchange-evidence-organisation = Organisation
exchange-evidence-service = Service
exchange-evidence-system = Système d’information
exchange-evidence-reason = Pourquoi ces données sont nécessaires
exchange-evidence-purpose = Finalité
exchange-evidence-legal-basis = Base légale
exchange-evidence-what = Ce qui serait transmis
exchange-evidence-source = De { $provider }, par le service électronique « { $eservice } ».
exchange-evidence-items = Données concernées
exchange-evidence-data = Vos données
exchange-evidence-item = Donnée
exchange-evidence-value = Valeur
exchange-evidence-cut = Seule la première partie des données est affichée ici.
exchange-evidence-opaque = Les données sont un fichier ({ $type }, { $bytes } octets) qui ne peut pas être affiché ici.
exchange-evidence-yes = Oui
exchange-evidence-no = Non
exchange-evidence-none = Néant
exchange-evidence-deadline = Décidez avant le { $deadline }. Rien n’est transmis sans votre accord.
exchange-evidence-decide = Votre décision
exchange-evidence-approve = Accepter et transmettre ces données
exchange-evidence-refuse = Ne pas transmettre
exchange-evidence-back = Retourner au service
exchange-evidence-bad-decision = Choisissez de transmettre les données ou non.
exchange-evidence-changed = Vos données ont été rechargées dans une autre fenêtre. Vérifiez-les ici et décidez à nouveau.
exchange-evidence-no-data = { $provider } n’a aucune donnée à transmettre pour cette demande. Vous pouvez seulement retourner au service.
exchange-evidence-not-yours = Ces données ne vous concernent pas : elles ne peuvent pas être transmises. Vous pouvez seulement retourner au service.
exchange-evidence-closed = Le service ne peut plus recevoir ces données : son service électronique ou son autorisation a pris fin.
exchange-evidence-failed = { $provider } n’a pas répondu. Rechargez cette page dans quelques minutes, ou retournez au service.
exchange-evidence-other-title = Cette demande concerne une autre personne
exchange-evidence-other-body = Vous êtes connecté en tant que personne que cette demande ne concerne pas : elle ne vous est donc pas montrée. Si un service vous a envoyé ici pour partager vos propres données, connectez-vous avec votre propre compte.
exchange-evidence-other-sign-in = Se connecter avec un autre compte
exchange-evidence-unavailable-title = La connexion n’est pas disponible
exchange-evidence-unavailable-body = Pour voir les données qu’un service demande et décider de les transmettre ou non, vous devez vous connecter avec une identité vérifiée. La connexion n’est pas proposée ici pour le moment.
exchange-evidence-unavailable-later = Rien n’a été transmis. Réessayez plus tard, ou retournez au service qui vous a envoyé ici.
exchange-evidence-approved-title = Vous avez accepté de transmettre vos données
exchange-evidence-approved-body = Vos données sont transmises une seule fois à { $organisation } et figurent dans votre journal d’utilisation des données.
exchange-evidence-refused-title = Vous avez refusé de transmettre vos données
exchange-evidence-refused-body = Rien n’a été transmis à { $organisation }.
exchange-evidence-expired-title = Cette demande a expiré
exchange-evidence-expired-body = Personne n’a décidé à temps : rien n’a été transmis à { $organisation }. Retournez au service pour refaire la demande.

## Pages des agents publics : navigation et mots communs
exchange-nav-label = Échange de données
exchange-nav-overview = Vue d’ensemble
exchange-breadcrumbs = Vous êtes ici
exchange-none = Aucun
exchange-unlimited = Illimité
exchange-calls-a-day =
    { $plural ->
        [one] { $count } appel par jour
       *[other] { $count } appels par jour
    }
exchange-seconds =
    { $plural ->
        [one] { $count } seconde
       *[other] { $count } secondes
    }
exchange-days =
    { $plural ->
        [one] { $count } jour
       *[other] { $count } jours
    }
exchange-bytes =
    { $plural ->
        [one] { $count } octet
       *[other] { $count } octets
    }
exchange-not-sent = Non transmis
exchange-not-confidential = Non : les personnes concernées voient ces appels immédiatement
exchange-details-title = Détails
exchange-actions-title = Ce que vous pouvez faire
exchange-actions-none = Votre organisation ne peut effectuer aucune étape pour le moment.
exchange-history-title = Historique
exchange-history-caption = Chaque étape, de la plus ancienne à la plus récente
exchange-history-created = Création
exchange-side-provider = Fournisseur
exchange-side-consumer = Consommateur
exchange-suspended-by-provider = Suspendu par le fournisseur
exchange-suspended-by-consumer = Suspendu par le consommateur
exchange-actor-api-key = Une clé d’API de l’organisation
exchange-actor-system = Publica, automatiquement
exchange-actor-operator = L’opérateur de la plateforme
exchange-member-class-gov = Organisme public
exchange-member-class-com = Entreprise
exchange-error-title = Erreur :
exchange-error-summary = Il y a un problème

## États
exchange-state-pending = En attente
exchange-state-active = Actif
exchange-state-suspended = Suspendu
exchange-state-rejected = Refusé
exchange-state-archived = Archivé
exchange-state-waiting-for-approval = En attente d’approbation
exchange-eservice-state-active = Actif
exchange-eservice-state-suspended = Suspendu

## Champs
exchange-field-actions = Actions
exchange-field-agreement = Accord
exchange-field-approval = Approbation des accords
exchange-field-attributes = Attributs
exchange-field-audience = Audience des jetons (aud)
exchange-field-backend = Source des réponses
exchange-field-by = Par
exchange-field-client = Client
exchange-field-client-hint = Le sous-système appelant, exactement : INSTANCE/CLASSE/MEMBRE/SOUS-SYSTÈME, par exemple DL/GOV/70000001/tax-assessment.
exchange-field-client-id = Identifiant de client X-Road
exchange-field-code = Code
exchange-field-confidential-days = Caché aux personnes concernées pendant (jours, facultatif)
exchange-field-confidential-days-hint = Uniquement pour les enquêtes qui ne doivent pas être éventées : les appels apparaissent dans le journal d’utilisation des données des personnes après ce nombre de jours (1 à 3650). Sinon, laissez vide.
exchange-field-consumer = Consommateur
exchange-field-created = Création
exchange-field-daily-calls = Appels attendus par jour
exchange-field-daily-calls-hint = Un nombre entier, au moins 1. C’est aussi le nombre maximal d’appels par jour permis par cette finalité.
exchange-field-date-hint = Une date (2025-03-31) ou une date et une heure en UTC (2025-03-31T14:30).
exchange-field-description = Description
exchange-field-description-hint = Facultatif. À quoi servent les données, en quelques phrases.
exchange-field-entry-hash = Empreinte de l’entrée (SHA-512)
exchange-field-eservice = Service électronique
exchange-field-from = Du
exchange-field-from-state = De
exchange-field-gateway-path = Chemin sur la passerelle
exchange-field-id = Identifiant
exchange-field-issue = Dossier (X-Road-Issue)
exchange-field-legal-basis = Base légale
exchange-field-legal-basis-hint = La loi qui autorise le traitement, par exemple : loi de Demoland sur l’impôt sur le revenu, art. 12.
exchange-field-member-class = Classe de membre
exchange-field-member-code = Code de membre
exchange-field-member-id = Identifiant de membre X-Road
exchange-field-method = Méthode
exchange-field-parameters = Paramètres
exchange-field-path = Chemin
exchange-field-prev-hash = Empreinte de l’entrée précédente (SHA-512)
exchange-field-provider = Fournisseur
exchange-field-published = Publication
exchange-field-purpose = Finalité
exchange-field-purpose-agreement = Service électronique
exchange-field-purpose-agreement-hint = L’un de vos accords actifs : le service électronique et le sous-système qui l’appelle.
exchange-field-purpose-id = Identifiant de la finalité (purposeId)
exchange-field-quota-consumer = Quota par consommateur
exchange-field-quota-total = Quota pour tous les consommateurs
exchange-field-reason = Motif
exchange-field-reason-optional = Motif (facultatif)
exchange-field-reason-required = Motif (obligatoire)
exchange-field-request = Requête
exchange-field-request-hash = Empreinte de la requête (SHA-512, X-Road-Request-Hash)
exchange-field-request-id = Identifiant de la requête
exchange-field-request-id-hint = Le X-Road-Id de l’appel, exactement.
exchange-field-requested = Demande
exchange-field-required-attributes = Attributs requis
exchange-field-response-hash = Empreinte de la réponse (SHA-512)
exchange-field-responses = Réponses
exchange-field-seq = Entrée
exchange-field-service = Service
exchange-field-service-hint = Le service appelé, exactement : INSTANCE/CLASSE/MEMBRE/SOUS-SYSTÈME/SERVICE, par exemple DL/GOV/70000002/population/persons.
exchange-field-service-id = Identifiant de service X-Road
exchange-field-state = État
exchange-field-status = Statut HTTP
exchange-field-status-hint = Le statut de la réponse, par exemple 200 ou 404.
exchange-field-subsystem = Sous-système
exchange-field-summary = Résumé
exchange-field-title = Titre
exchange-field-to = Au
exchange-field-to-hint = Jusqu’à cette date incluse, ou avant cette date et cette heure en UTC.
exchange-field-to-state = À
exchange-field-updated = Dernière modification
exchange-field-user-id = Utilisateur (X-Road-UserId)
exchange-field-voucher-lifetime = Durée de validité des jetons
exchange-field-when = Date
exchange-field-your-side = Votre organisation est

## Problèmes de saisie
exchange-error-agreement = Choisissez l’un de vos accords actifs.
exchange-error-client = Saisissez un client sous la forme INSTANCE/CLASSE/MEMBRE/SOUS-SYSTÈME, par exemple DL/GOV/70000001/tax-assessment.
exchange-error-confidential-days = Saisissez un nombre entier de jours entre 1 et 3650, ou laissez vide.
exchange-error-daily-calls = Saisissez le nombre d’appels attendus par jour, un nombre entier d’au moins 1.
exchange-error-date = Saisissez une date comme 2025-03-31, ou une date et une heure comme 2025-03-31T14:30.
exchange-error-date-order = La fin doit être postérieure au début.
exchange-error-legal-basis = Saisissez la base légale.
exchange-error-reason = Indiquez pourquoi : un refus doit être motivé.
exchange-error-request-id = Un identifiant de requête compte au plus 200 caractères.
exchange-error-service = Saisissez un service sous la forme INSTANCE/CLASSE/MEMBRE/SOUS-SYSTÈME/SERVICE, par exemple DL/GOV/70000002/population/persons.
exchange-error-status = Saisissez un statut HTTP entre 100 et 599.
exchange-error-subsystem = Choisissez l’un de vos sous-systèmes.
exchange-error-purpose-title = Saisissez un titre.

## Étapes
exchange-step-approve = Approuver
exchange-step-reject = Refuser
exchange-step-suspend = Suspendre
exchange-step-reactivate = Réactiver
exchange-step-activate = Activer
exchange-step-archive = Archiver
exchange-step-form-link = { $step }…
exchange-agreement-hint-approve = Le sous-système consommateur peut demander des jetons pour ce service électronique dès qu’il a une finalité.
exchange-agreement-hint-reject = La demande est close. Le consommateur voit votre motif.
exchange-agreement-hint-suspend = Aucun jeton n’est délivré et les appels sont refusés jusqu’à ce que votre organisation le réactive.
exchange-agreement-hint-reactivate = Lève la suspension de votre organisation. Une suspension par l’autre partie demeure.
exchange-agreement-hint-archive = Met fin à l’accord définitivement. Ses finalités ne peuvent plus être utilisées.
exchange-purpose-hint-approve = Le consommateur peut demander des jetons pour cette finalité, dans la limite de ses appels par jour.
exchange-purpose-hint-suspend = Aucun jeton n’est délivré pour cette finalité jusqu’à ce que votre organisation la réactive.
exchange-purpose-hint-activate = Lève la suspension de votre organisation. Une suspension par l’autre partie demeure.
exchange-purpose-hint-archive = Met fin à la finalité définitivement.
exchange-done-requested = L’accord a été demandé.
exchange-done-created = La finalité a été déclarée.
exchange-done-approve = Approuvé.
exchange-done-reject = Refusé.
exchange-done-suspend = Suspendu.
exchange-done-reactivate = Réactivé.
exchange-done-activate = Activé.
exchange-done-archive = Archivé.

## Vue d’ensemble
exchange-overview-lead = Ce que { $org } fournit et utilise dans l’échange de données.
exchange-overview-member-title = Votre organisation dans l’échange
exchange-overview-not-member = Votre organisation n’a pas encore d’identifiant de membre X-Road : elle en reçoit un lorsqu’elle enregistre son premier sous-système.
exchange-overview-waiting-title = En attente d’une décision
exchange-overview-inbox = Demandes d’accord en attente de votre décision
exchange-overview-purposes = Finalités en attente de votre approbation
exchange-overview-requested = Vos demandes en attente des fournisseurs
exchange-overview-provided-title = Services électroniques fournis par votre organisation
exchange-overview-links-title = Aller à
exchange-overview-api = API de gestion
exchange-overview-api-lead = Les mêmes opérations pour vos systèmes, avec une clé d’API du bloc d’échange.
exchange-subsystems-title = Sous-systèmes
exchange-subsystems-lead = Les systèmes d’information de votre organisation : ils fournissent des services électroniques, les appellent, ou les deux.
exchange-subsystems-none = Votre organisation n’a pas encore de sous-système. Enregistrez-en un par l’API de gestion.
exchange-subsystems-caption = Les sous-systèmes de votre organisation

## Catalogue
exchange-catalogue-title = Catalogue
exchange-catalogue-lead = Chaque service électronique actif, et ce qu’il faut savoir pour l’utiliser.
exchange-catalogue-none = Aucun service électronique n’est encore publié.
exchange-catalogue-count =
    { $plural ->
        [one] { $count } service électronique actif
       *[other] { $count } services électroniques actifs
    }
exchange-approval-automatic = Automatique
exchange-approval-automatic-hint = Actif immédiatement si votre organisation détient les attributs requis ; sinon, le fournisseur décide.
exchange-approval-manual = Par le fournisseur
exchange-approval-manual-hint = Le fournisseur approuve ou refuse chaque demande.
exchange-backend-registry-person = Le registre de la population : la fiche actuelle d’une personne
exchange-backend-registry-business = Le registre des entreprises : la fiche actuelle d’une entreprise
exchange-backend-person-checks = Le registre de la population : réponses par oui ou non uniquement
exchange-backend-http = Le service propre du fournisseur
exchange-eservice-descriptor-title = Descripteur
exchange-eservice-suspended-notice = Le fournisseur a suspendu ce service électronique : il ne répond à aucun appel et n’accepte aucun nouvel accord.
exchange-openapi-title = Ce qu’il répond
exchange-openapi-document = Description :
exchange-openapi-version = version { $version }
exchange-openapi-lead = Les chemins suivent le chemin de passerelle /r1/{ $prefix }.
exchange-openapi-none = Le fournisseur n’a pas décrit les chemins de ce service électronique.
exchange-openapi-caption = Opérations de { $eservice }
exchange-openapi-required = Les paramètres marqués * sont obligatoires.
exchange-openapi-raw = La description OpenAPI (JSON)
exchange-eservice-own-title = Les accords de votre organisation pour ce service
exchange-eservice-own-none = Aucun de vos sous-systèmes n’a d’accord pour ce service électronique.
exchange-eservice-own-item = Pour { $subsystem }
exchange-request-title = Demander un accord
exchange-request-hint = Le sous-système qui appellera ce service électronique.
exchange-request-no-subsystem = Votre organisation a besoin d’un sous-système pour demander un accord. Enregistrez-en un par l’API de gestion.
exchange-request-submit = Demander l’accord

## Accords
exchange-agreements-title = Accords
exchange-agreements-lead = Qui peut appeler quel service électronique : les demandes adressées à votre organisation, et ses propres accords.
exchange-agreements-inbox-title = Demandes d’utilisation de vos services électroniques
exchange-agreements-inbox-lead = Les demandes en attente apparaissent en premier.
exchange-agreements-inbox-none = Personne n’a demandé à utiliser les services électroniques de votre organisation.
exchange-agreements-inbox-caption = Accords pour vos services électroniques
exchange-agreements-own-title = Les accords de votre organisation
exchange-agreements-own-lead = Les accords de vos sous-systèmes avec les services électroniques d’autres fournisseurs.
exchange-agreements-own-catalogue = Trouver un service électronique dans le catalogue
exchange-agreements-own-none = Votre organisation n’a encore aucun accord.
exchange-agreements-own-caption = Accords de vos sous-systèmes
exchange-agreement-title = Accord pour { $eservice }
exchange-agreement-lead = Pour le sous-système { $subsystem }.

## Finalités
exchange-purposes-title = Finalités
exchange-purposes-lead = Pourquoi des données sont lues, sur quelle base légale et à quelle fréquence. Chaque appel indique sa finalité.
exchange-purposes-own-title = Les finalités de votre organisation
exchange-purposes-own-none = Votre organisation n’a encore déclaré aucune finalité.
exchange-purposes-own-caption = Finalités de vos sous-systèmes
exchange-purposes-provided-title = Finalités pour vos services électroniques
exchange-purposes-provided-lead = Les finalités en attente de votre approbation apparaissent en premier : elles demandent plus d’appels qu’il n’en reste dans vos quotas.
exchange-purposes-provided-none = Aucune finalité n’a été déclarée pour les services électroniques de votre organisation.
exchange-purposes-provided-caption = Finalités pour vos services électroniques
exchange-purpose-create-title = Déclarer une finalité
exchange-purpose-create-lead = Une finalité est active immédiatement si ses appels tiennent dans les quotas du service électronique ; sinon, le fournisseur décide.
exchange-purpose-create-no-agreement = Votre organisation a besoin d’un accord actif pour déclarer une finalité.
exchange-purpose-create-submit = Déclarer la finalité
exchange-purpose-agreement-option = { $eservice } ({ $service }), appelé par { $subsystem }
exchange-purpose-lead = Une finalité pour { $eservice }.

## Journal des messages
exchange-log-title = Journal des messages
exchange-log-lead = Chaque appel passé par l’échange, signé et chaîné par empreintes, du plus récent au plus ancien.
exchange-log-scope-member = Vous voyez les appels que votre organisation a faits ou auxquels elle a répondu.
exchange-log-scope-operator = En tant qu’opérateur de la plateforme, vous voyez tous les appels.
exchange-log-verify-title = Intégrité
exchange-log-verify-hint = Vérifie l’empreinte et le chaînage de chaque entrée et chaque lot signé. Sur un gros journal, cela prend du temps.
exchange-log-verify-submit = Vérifier le journal des messages
exchange-log-verify-intact = Le journal est intact.
exchange-log-verify-tampered = Le journal a été altéré.
exchange-log-filter-title = Filtrer
exchange-log-filter-submit = Afficher les entrées
exchange-log-filter-clear = Effacer les filtres
exchange-log-entries-title = Entrées
exchange-log-none = Aucune entrée ne correspond.
exchange-log-count =
    { $plural ->
        [one] { $count } entrée sur cette page
       *[other] { $count } entrées sur cette page
    }
exchange-log-caption = Appels, du plus récent au plus ancien
exchange-log-pages = Autres entrées
exchange-log-newest = Entrées les plus récentes
exchange-log-older = Entrées plus anciennes
exchange-log-entry-title = Entrée { $seq }
exchange-log-call-title = L’appel
exchange-log-hashes-title = Empreintes
exchange-log-hashes-lead = En Base64. Les empreintes de la requête et de la réponse prouvent ce qui a été échangé ; l’empreinte de l’entrée la chaîne aux entrées précédentes.
exchange-log-bodies-title = Contenus
exchange-log-bodies-none = Les contenus de cet appel n’ont pas été conservés : seules leurs empreintes l’ont été.
exchange-log-request-body = Contenu de la requête
exchange-log-response-body = Contenu de la réponse
exchange-log-body-empty = Non conservé.
exchange-log-body-base64 = pas du texte, affiché en Base64
