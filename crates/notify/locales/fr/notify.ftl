# Pages de Notify, en français.

## Services et leur navigation
notify-services-title = Services de notification
notify-services-lead = Les services de { $organisation } qui envoient des courriels, des SMS et des lettres.
notify-services-none = Votre organisation n’a pas encore de service de notification. Demandez à un opérateur de la plateforme d’en créer un.
notify-service-live = En service : envoie à tout le monde.
notify-service-trial = Mode d’essai : envoie seulement à l’équipe et à la liste d’invités.
notify-back-to-services = Tous les services de notification
notify-service-nav-label = Pages de { $service }
notify-dashboard-title = Tableau de bord
notify-notifications-title = Notifications envoyées
notify-templates-title = Modèles
notify-team-title = Membres de l’équipe
notify-guest-list-title = Liste d’invités
notify-api-keys-title = Clés d’API
notify-settings-title = Rappels
notify-cancel = Annuler

## Canaux, statuts et décomptes
notify-channel-email = courriel
notify-channel-sms = SMS
notify-channel-letter = lettre
notify-channel-plural-email = Courriels
notify-channel-plural-sms = SMS
notify-channel-plural-letter = Lettres
notify-group-sending = En cours d’envoi
notify-group-delivered = Remis
notify-group-failed = En échec
notify-group-cancelled = Annulés
notify-count-total = Total
notify-status-created = Créé
notify-status-sending = En cours d’envoi
notify-status-pending = En attente
notify-status-sent = Envoyé
notify-status-delivered = Remis
notify-status-permanent-failure = L’adresse n’existe pas
notify-status-temporary-failure = Boîte ou téléphone qui n’accepte pas les messages
notify-status-technical-failure = Erreur technique
notify-status-pending-virus-check = Recherche de virus en cours
notify-status-virus-scan-failed = Virus détecté
notify-status-validation-failed = Refusé à la validation
notify-status-accepted = Accepté par l’imprimeur
notify-status-received = Reçu
notify-status-cancelled = Annulé
notify-status-returned-letter = Lettre retournée à l’expéditeur

## Tableau de bord
notify-week-caption = Notifications des 7 derniers jours
notify-chart-title = Notifications par jour, 14 derniers jours
notify-chart-summary = Diagramme en barres des notifications envoyées chaque jour au cours des 14 derniers jours, par canal ; le jour le plus chargé a été le { $day }, avec { $max }. Le tableau ci-dessous donne tous les chiffres.
notify-chart-empty = Diagramme en barres des notifications envoyées chaque jour au cours des 14 derniers jours : aucune n’a été envoyée.
notify-chart-table-hint = Chaque canal a son propre motif. Le tableau ci-dessous donne les mêmes chiffres.
notify-chart-table-caption = Notifications par jour et par canal, 14 derniers jours
notify-failures-title = Envois en échec
notify-failures-caption = Les derniers envois en échec
notify-failures-none = Aucun envoi n’a échoué.
notify-failures-all = Voir tous les envois en échec

## Listes de notifications
notify-field-recipient = Destinataire
notify-field-template = Modèle
notify-field-status = Statut
notify-field-channel = Canal
notify-field-sent = Envoyé le
notify-field-finished = Terminé le
notify-field-date = Date
notify-recipient-purged = Plus conservé
notify-not-yet = Pas encore
notify-template-unknown = Modèle inconnu
notify-filter-all = Tous
notify-filter-apply = Afficher les notifications
notify-notifications-caption = Notifications envoyées, les plus récentes d’abord
notify-notifications-none = Aucune notification ne correspond.
notify-page-newest = Notifications les plus récentes
notify-page-older = Notifications plus anciennes

## Équipe
notify-team-lead = Tous les membres de { $organisation } peuvent utiliser ce service. Les membres de l’équipe peuvent toujours recevoir ses messages, même en mode d’essai.
notify-team-caption = Membres de l’équipe
notify-team-manage = Ajouter, modifier ou désactiver des membres de l’équipe dans l’espace d’administration

## Modèles
notify-templates-caption = Modèles de ce service
notify-templates-none = Ce service n’a pas encore de modèle.
notify-templates-create = Créer un modèle
notify-template-new-email = Nouveau modèle de courriel
notify-template-new-sms = Nouveau modèle de SMS
notify-template-new-letter = Nouveau modèle de lettre
notify-template-edit-title = Modèle « { $name } »
notify-template-saved = La version { $version } est enregistrée. Les messages l’utilisent désormais.
notify-template-old-version = Vous consultez la version { $version }. L’enregistrer en fait la dernière version.
notify-template-save = Enregistrer
notify-template-preview = Prévisualiser
notify-template-preview-pdf = Prévisualiser en PDF
notify-field-template-name = Nom du modèle
notify-field-template-name-hint = Votre équipe voit ce nom ; les destinataires, non.
notify-field-subject = Objet
notify-field-content = Message
notify-field-content-hint = Mettez les données personnelles entre doubles parenthèses, par exemple ((prénom)). Utilisez # pour un titre, * pour une puce et ^ pour un encadré.
notify-field-postage = Affranchissement
notify-postage-first = Prioritaire
notify-postage-second = Standard
notify-postage-economy = Économique
notify-samples-legend = Données d’exemple pour la prévisualisation
notify-samples-hint = Laissez un champ vide pour voir son emplacement dans la prévisualisation.
notify-preview-title = Prévisualisation
notify-preview-cannot = Ce message ne peut pas encore être envoyé :
notify-preview-from = De
notify-preview-email-frame = Prévisualisation du courriel
notify-preview-sms-label = Prévisualisation du SMS
notify-preview-letter-label = Prévisualisation de la lettre
notify-preview-pdf-link = Ouvrir la version enregistrée en PDF
notify-preview-pdf-hint = « Prévisualiser en PDF » montre la lettre telle qu’elle sera imprimée, avec une adresse d’exemple.
notify-preview-empty = Le message est vide.
notify-preview-sms-too-long = Un SMS ne peut pas dépasser { $limit } caractères. Celui-ci en compte { $length }.
notify-preview-email-too-long = Un courriel ne peut pas dépasser { $limit } octets. Celui-ci en compte { $length }.
notify-preview-updated = La prévisualisation a été mise à jour.
notify-preview-failed = La prévisualisation n’a pas pu être mise à jour. Utilisez le bouton « Prévisualiser ».
notify-sms-length-one = { $characters } caractères, facturés comme { $fragments } SMS.
notify-sms-length-other = { $characters } caractères, facturés comme { $fragments } SMS.
notify-sms-fragments-hint = Un SMS contient 160 caractères, ou 70 s’il utilise un caractère que seul Unicode connaît ; un message plus long est envoyé en parties de 153 (ou 67) caractères, chacune facturée comme un SMS.
notify-versions-title = Historique des versions
notify-versions-caption = Toutes les versions enregistrées, les plus récentes d’abord
notify-field-version = Version
notify-field-saved = Enregistrée le
notify-field-saved-by = Enregistrée par
notify-version-shown = Affichée ci-dessus
notify-version-view = Voir la version { $version }
notify-by-system = Publica
notify-by-operator = Un opérateur de la plateforme
notify-by-api-key = Une clé d’API

## Clés d’API
notify-api-keys-caption = Clés d’API de ce service
notify-api-keys-none = Ce service n’a pas encore de clé d’API.
notify-field-key-name = Nom de la clé
notify-field-key-name-hint = Nommez-la d’après ce qui l’utilise, par exemple « gestion des dossiers, production ».
notify-field-key-type = Type de clé
notify-field-created = Créée le
notify-key-type-live = Réelle
notify-key-type-normal = Réelle
notify-key-type-team = Équipe et liste d’invités
notify-key-type-test = Test
notify-key-type-hint-live = Envoie à tout le monde, une fois le service sorti du mode d’essai.
notify-key-type-hint-team = Envoie seulement aux membres de l’équipe et à la liste d’invités.
notify-key-type-hint-test = Fait semblant d’envoyer : rien n’est remis ni facturé.
notify-api-key-create = Créer une clé d’API
notify-api-key-created = Clé d’API « { $name } » créée
notify-api-key-once = C’est la seule fois où vous voyez la clé entière : Publica ne l’affiche plus jamais.
notify-api-key-label = La nouvelle clé d’API
notify-api-key-copy = Sélectionnez la clé, copiez-la et rangez-la dès maintenant dans le coffre à secrets de votre application. Si vous la perdez, créez une nouvelle clé et révoquez celle-ci.
notify-api-key-revoke = Révoquer { $name }
notify-api-key-revoked = La clé d’API « { $name } » a été révoquée. Les requêtes faites avec elle sont refusées.
notify-api-key-revoke-title = Révoquer la clé d’API « { $name } » ?
notify-api-key-revoke-warning = Ce qui utilise cette clé ne pourra plus envoyer de notifications. C’est irréversible.
notify-api-key-revoke-confirm = Oui, révoquer cette clé

## Liste d’invités
notify-guest-list-lead = Les personnes de la liste d’invités peuvent recevoir les messages envoyés avec une clé d’équipe, et ceux d’un service en mode d’essai, comme les membres de l’équipe.
notify-guest-list-trial = Ce service est en mode d’essai : il envoie seulement aux membres de l’équipe et à la liste d’invités.
notify-guest-list-none = La liste d’invités est vide.
notify-guest-list-caption = Liste d’invités
notify-field-guest-kind = Type
notify-field-guest = Adresse électronique ou numéro de mobile
notify-field-guest-hint = Par exemple nom@exemple.fr ou +33 6 12 34 56 78 ; les numéros hors du Royaume-Uni commencent par leur indicatif de pays.
notify-guest-kind-email = Adresse électronique
notify-guest-kind-mobile = Numéro de mobile
notify-guest-add = Ajouter à la liste d’invités
notify-guest-added = La liste d’invités a été mise à jour.
notify-guest-removed = L’entrée a été retirée de la liste d’invités.
notify-guest-remove = Retirer { $recipient }

## Rappels
notify-callbacks-lead = Publica peut prévenir vos systèmes quand une notification est remise ou échoue, et quand quelqu’un envoie un SMS à votre service. Chaque envoi porte votre jeton, pour que votre système sache qu’il vient de Publica.
notify-callback-delivery-title = Accusés de remise
notify-callback-delivery-lead = Envoyés quand une notification atteint un statut final (remise ou échec).
notify-callback-delivery-save = Enregistrer le rappel des accusés de remise
notify-callback-delivery-remove = Arrêter les accusés de remise
notify-callback-inbound-title = SMS reçus
notify-callback-inbound-lead = Envoyés quand quelqu’un écrit par SMS au numéro de votre service.
notify-callback-inbound-save = Enregistrer le rappel des SMS reçus
notify-callback-inbound-remove = Arrêter les SMS reçus
notify-callback-inbound-no-number = Ce service n’a pas encore de numéro pour recevoir des SMS.
notify-callback-is-set = Un rappel est défini, avec un jeton.
notify-callback-not-set = Aucun rappel n’est défini.
notify-callback-saved = Le rappel a été enregistré.
notify-callback-removed = Le rappel a été supprimé.
notify-field-callback-url = URL de rappel
notify-field-callback-url-hint = Une adresse https:// de votre système.
notify-field-callback-token = Jeton (bearer token)
notify-field-callback-token-hint = Au moins 10 caractères. Il est conservé chiffré et jamais réaffiché : saisissez-le à chaque enregistrement.

## Erreurs dans les formulaires
notify-error-title = Erreur :
notify-error-summary = Il y a un problème
notify-error-template-name = Saisissez un nom pour le modèle
notify-error-template-subject = Saisissez un objet
notify-error-template-content = Saisissez le message
notify-error-template-postage = Choisissez un affranchissement prioritaire, standard ou économique
notify-error-key-name = Saisissez un nom pour la clé, de 255 caractères au plus
notify-error-key-type = Choisissez le type de clé
notify-error-guest-empty = Saisissez une adresse électronique ou un numéro de mobile
notify-error-guest-email = Saisissez une adresse électronique au bon format, comme nom@exemple.fr
notify-error-guest-phone = Saisissez un numéro de mobile au bon format, comme +33 6 12 34 56 78 ou 07700 900123
notify-error-callback-url = Saisissez une URL qui commence par https://
notify-error-callback-token = Saisissez un jeton d’au moins 10 caractères

## Téléchargement d’un fichier envoyé par courriel
notify-file-title = Télécharger votre fichier
notify-file-from = { $service } vous a envoyé un fichier.
notify-file-name = Fichier
notify-file-until = Disponible jusqu’au
notify-file-email-label = Votre adresse électronique
notify-file-email-hint = L’adresse à laquelle ce fichier a été envoyé. Nous la vérifions avant que vous puissiez télécharger le fichier.
notify-file-confirm = Continuer et télécharger
notify-file-download = Télécharger le fichier
notify-file-safety = N’ouvrez que les fichiers que vous attendiez. Si vous n’attendiez pas ce message, contactez l’expéditeur par ses coordonnées habituelles, pas par un lien du courriel.
notify-file-email-missing = Saisissez votre adresse électronique
notify-file-email-wrong = Ce n’est pas l’adresse électronique à laquelle le fichier a été envoyé. Vérifiez-la et réessayez.
notify-file-gone-title = Ce fichier n’est plus disponible
notify-file-unknown = Il n’y a pas de fichier à cette adresse. Vérifiez le lien de votre courriel, ou demandez à l’expéditeur de renvoyer le fichier.
notify-file-expired = L’expéditeur conservait ce fichier pour une durée limitée, qui est écoulée. Demandez-lui de le renvoyer.
notify-file-blocked-title = Trop de tentatives
notify-file-blocked = L’adresse électronique a été mal saisie trop de fois. Attendez 15 minutes, puis réessayez.
