"""How updates reach the Application: long polling, a webhook endpoint, or the offline shell."""
