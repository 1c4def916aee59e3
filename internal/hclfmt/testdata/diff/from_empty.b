new
file
