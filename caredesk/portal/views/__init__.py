"""The portal's pages, by audience: ``reseller`` (Designated Contacts and staff), ``console``
(Customer Care and CSMs), ``cases`` (the case page both sides share, and every action on it),
``intake`` (the open-a-case wizard and phone intake), ``requests`` (MAC/D and feature requests),
``account`` (log-in, API tokens). ``base`` holds the gate every view passes through."""
