"""The tickets function, declared in Ticket.Meta.permissions."""

MANAGE_TICKETS = "tickets.manage_tickets"
