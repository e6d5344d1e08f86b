VALUE = 'from the layer'
