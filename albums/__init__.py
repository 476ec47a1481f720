"""The albums app: albums and their photos, as a signed-in person sees and manages them."""
