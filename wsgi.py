from app import create_app
from web import heap

app = create_app()
heap.settle()
